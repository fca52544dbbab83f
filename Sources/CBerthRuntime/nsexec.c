#define _GNU_SOURCE
#include "CBerthRuntime.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// The namespace steps of `berthd init`, run by a constructor before the Swift runtime starts,
// while the process has one thread: joining a mount namespace (setns) and creating one
// (unshare) fail with EINVAL in a process with several threads. Only a process started with
// BERTH_INIT_ENV in its environment does anything here.
//
// 1. Read the bootstrap message from the init socket, and move into the container's cgroups.
// 2. Join the namespaces of a running container at once through its pidfd where the kernel
//    can (5.8), else open every namespace to join and join them one by one, the mount
//    namespace last (after it, the other paths may not resolve).
// 3. Unshare the namespaces to create.
// 4. With a new or joined pid namespace, this process cannot enter it itself: clone a child
//    with CLONE_PARENT (so that it is the creator's child, not ours), born in the cgroup2 cgroup,
//    report its pid and exit. The child is PID 1 of a new pid namespace and carries on into main().

static int linked_marker;
int berth_nsexec_linked(void) { return linked_marker; }

static void send_message(int fd, uint32_t type, const void *payload, uint32_t length) {
    uint32_t head[2] = { type, length };
    if (write(fd, head, sizeof head) != (ssize_t)sizeof head) return;
    if (length > 0 && write(fd, payload, length) != (ssize_t)length) return;
}

__attribute__((noreturn)) static void fail(int fd, const char *step) {
    char text[512];
    int n = snprintf(text, sizeof text, "%s: %s", step, strerror(errno));
    send_message(fd, BERTH_MSG_ERROR, text, n > 0 ? (uint32_t)n : 0);
    _exit(1);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

// struct clone_args of <linux/sched.h> up to `cgroup` (CLONE_ARGS_SIZE_VER2).
struct berth_clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

// Writes "0" to `name` under `directory` (or to `directory` itself when name is NULL).
static int write_zero(int directory, const char *name) {
    int file = name ? openat(directory, name, O_WRONLY | O_CLOEXEC) : directory;
    if (file < 0) return -1;
    ssize_t n = write(file, "0", 1);
    int saved = errno;
    if (name) close(file);
    errno = saved;
    return n == 1 ? 0 : -1;
}

// A fork of this single-threaded process with CLONE_PARENT, into the cgroup2 directory
// `cgroup2` if there is one: clone3 where the kernel has CLONE_INTO_CGROUP, else a move of this
// process first.
static long clone_into(int fd, int cgroup2) {
    if (cgroup2 >= 0) {
        struct berth_clone_args args;
        memset(&args, 0, sizeof args);
        // With CLONE_PARENT, clone3 wants no exit signal: the child gets ours (SIGCHLD).
        args.flags = CLONE_PARENT | CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cgroup2;
        long child = syscall(SYS_clone3, &args, sizeof args);
        if (child >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL)) return child;
        if (write_zero(cgroup2, "cgroup.procs") != 0) fail(fd, "join the cgroup2 cgroup");
    }
    return syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
}

static int read_exactly(int fd, void *buffer, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = read(fd, (char *)buffer + done, length - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { if (n == 0) errno = EPIPE; return -1; }
        done += (size_t)n;
    }
    return 0;
}

__attribute__((constructor)) static void berth_nsexec(void) {
    const char *variable = getenv(BERTH_INIT_ENV);
    if (variable == NULL) return;
    linked_marker = 1;
    int fd = atoi(variable);

    uint32_t head[2];
    if (read_exactly(fd, head, sizeof head) != 0) fail(fd, "read bootstrap");
    if (head[0] != BERTH_MSG_BOOTSTRAP || head[1] < sizeof(struct berth_bootstrap) || head[1] > 65536) {
        errno = EPROTO;
        fail(fd, "read bootstrap");
    }
    char *payload = malloc(head[1]);
    if (payload == NULL || read_exactly(fd, payload, head[1]) != 0) fail(fd, "read bootstrap");
    struct berth_bootstrap bootstrap;
    memcpy(&bootstrap, payload, sizeof bootstrap);
    if (bootstrap.magic != BERTH_BOOTSTRAP_MAGIC || bootstrap.join_count > BERTH_JOIN_MAX) {
        errno = EPROTO;
        fail(fd, "read bootstrap");
    }

    // Open every namespace first, then join in an order where none hides the next one's path.
    static const uint32_t order[] = {
        CLONE_NEWUSER, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWNS,
    };
    int join_fd[BERTH_JOIN_MAX];
    uint32_t join_type[BERTH_JOIN_MAX];
    int joined_pid = 0;
    int cgroup2 = -1;
    size_t offset = sizeof bootstrap;
    for (uint32_t i = 0; i < bootstrap.join_count; i++) {
        join_fd[i] = -1;
        uint32_t entry[2];
        if (offset + sizeof entry > head[1]) { errno = EPROTO; fail(fd, "read bootstrap"); }
        memcpy(entry, payload + offset, sizeof entry);
        offset += sizeof entry;
        if (entry[1] == 0 || entry[1] > 4096 || offset + entry[1] > head[1]) { errno = EPROTO; fail(fd, "read bootstrap"); }
        char path[4097];
        memcpy(path, payload + offset, entry[1]);
        path[entry[1]] = 0;
        offset += entry[1];
        join_type[i] = entry[0];
        if (entry[0] == BERTH_JOIN_CGROUP_V1_TASKS) {
            int tasks = open(path, O_WRONLY | O_CLOEXEC);
            if (tasks < 0 || write_zero(tasks, NULL) != 0) fail(fd, "join the cgroup");
            close(tasks);
            continue;
        }
        if (entry[0] == BERTH_JOIN_CGROUP_V2) {
            if (cgroup2 >= 0) close(cgroup2);
            cgroup2 = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (cgroup2 < 0) fail(fd, "open the cgroup2 cgroup");
            continue;
        }
        join_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (join_fd[i] < 0) fail(fd, "open namespace");
        if (entry[0] == CLONE_NEWPID) joined_pid = 1;
    }
    free(payload);
    int joined_by_pidfd = 0;
    if (bootstrap.pidfd >= 0) {
        if (setns(bootstrap.pidfd, (int)bootstrap.pidfd_flags) == 0) {
            joined_by_pidfd = 1;
            if (bootstrap.pidfd_flags & CLONE_NEWPID) joined_pid = 1;
        } else if (errno != EINVAL) {
            fail(fd, "setns");
        }
        close(bootstrap.pidfd);
    }
    for (size_t k = 0; k < sizeof order / sizeof order[0] && !joined_by_pidfd; k++) {
        for (uint32_t i = 0; i < bootstrap.join_count; i++) {
            if (join_type[i] != order[k]) continue;
            if (setns(join_fd[i], (int)join_type[i]) != 0) fail(fd, "setns");
            close(join_fd[i]);
        }
    }
    if (joined_by_pidfd) {
        for (uint32_t i = 0; i < bootstrap.join_count; i++) {
            if (join_fd[i] >= 0) close(join_fd[i]);
        }
    }
    if (bootstrap.unshare_flags != 0 && unshare((int)bootstrap.unshare_flags) != 0) fail(fd, "unshare");

    uint32_t pid;
    if ((bootstrap.unshare_flags & CLONE_NEWPID) || joined_pid) {
        // The creator sends the configuration without waiting for the pid: the child must not
        // say anything (ready, an error) before its pid is on the socket. It waits for this
        // pipe to close, which its parent does once the pid is sent.
        int pid_sent[2];
        if (pipe2(pid_sent, O_CLOEXEC) != 0) fail(fd, "pipe");
        long child = clone_into(fd, cgroup2);
        if (child < 0) fail(fd, "clone");
        if (child > 0) {
            pid = (uint32_t)child;
            send_message(fd, BERTH_MSG_PID, &pid, sizeof pid);
            close(pid_sent[1]);
            _exit(0);
        }
        // The child: PID 1 of its namespace, on into main() once its pid is reported.
        close(pid_sent[1]);
        char byte;
        while (read(pid_sent[0], &byte, 1) < 0 && errno == EINTR) {}
        close(pid_sent[0]);
        if (cgroup2 >= 0) close(cgroup2);
        return;
    }
    if (cgroup2 >= 0) {
        if (write_zero(cgroup2, "cgroup.procs") != 0) fail(fd, "join the cgroup2 cgroup");
        close(cgroup2);
    }
    pid = (uint32_t)getpid();
    send_message(fd, BERTH_MSG_PID, &pid, sizeof pid);
}
