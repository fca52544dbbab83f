#define _GNU_SOURCE
#include "CBerthRuntime.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>

extern int __clone(int (*fn)(void *), void *stack, int flags, void *arg, ...);
#include <unistd.h>
#include <linux/close_range.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// The child shares the creator's memory (CLONE_VM) until it execs, and the creator's thread is
// suspended meanwhile (CLONE_VFORK). It runs on its own stack and makes raw system calls only:
// no libc function that a sanitizer intercepts, no instrumented memory access (the attribute),
// nothing that takes a lock another thread of the creator may hold.
struct spawn_child {
    const struct berth_spawn_request *request;
    volatile int error;
};

// A zeroed kernel `struct sigaction`: SIG_DFL, no flags, an empty mask (any layout reads so).
static const unsigned long default_action[8];
static const unsigned long empty_mask[2];

#define CHILD_CALL(...) syscall(__VA_ARGS__)

__attribute__((disable_sanitizer_instrumentation, no_sanitize("thread", "address")))
static int spawn_child_main(void *argument) {
    struct spawn_child *child = argument;
    const struct berth_spawn_request *r = child->request;
    long rc;

    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        CHILD_CALL(SYS_rt_sigaction, sig, default_action, NULL, _NSIG / 8);
    }
    if (r->death_signal != 0 && (rc = CHILD_CALL(SYS_prctl, PR_SET_PDEATHSIG, r->death_signal, 0, 0, 0)) != 0) goto fail;

    // Lift every source descriptor above the targets first, so that placing one cannot close
    // another that is still to be placed.
    int lifted[64];
    if (r->fd_count > 64) { rc = -1; goto fail; }
    for (int i = 0; i < r->fd_count; i++) {
        lifted[i] = -1;
        if (r->fd_map[i] < 0) continue;
        lifted[i] = (int)CHILD_CALL(SYS_fcntl, r->fd_map[i], F_DUPFD_CLOEXEC, r->fd_count);
        if (lifted[i] < 0) { rc = -1; goto fail; }
    }
    // The executable's descriptor too, or placing the others could replace it.
    int exec_fd = r->exec_fd;
    if (exec_fd >= 0 && exec_fd < r->fd_count) {
        exec_fd = (int)CHILD_CALL(SYS_fcntl, exec_fd, F_DUPFD_CLOEXEC, r->fd_count);
        if (exec_fd < 0) { rc = -1; goto fail; }
    }
    for (int i = 0; i < r->fd_count; i++) {
        if (lifted[i] < 0) { CHILD_CALL(SYS_close, i); continue; }
        if (CHILD_CALL(SYS_dup3, lifted[i], i, 0) < 0) { rc = -1; goto fail; }
    }
    // Whatever else is open, the lifted copies included, closes at exec.
    if (CHILD_CALL(SYS_close_range, (unsigned)r->fd_count, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = r->fd_count; fd < 65536; fd++) CHILD_CALL(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    }
    if (r->new_session && CHILD_CALL(SYS_setsid) < 0) { rc = -1; goto fail; }
    if (r->controlling_tty >= 0 && CHILD_CALL(SYS_ioctl, r->controlling_tty, TIOCSCTTY, 0) != 0) { rc = -1; goto fail; }
    if (r->cwd != NULL && CHILD_CALL(SYS_chdir, r->cwd) != 0) { rc = -1; goto fail; }

    CHILD_CALL(SYS_rt_sigprocmask, SIG_SETMASK, empty_mask, NULL, _NSIG / 8);
    if (exec_fd >= 0) {
        CHILD_CALL(SYS_execveat, exec_fd, "", r->argv, r->envp, AT_EMPTY_PATH);
    } else {
        CHILD_CALL(SYS_execve, r->path, r->argv, r->envp);
    }
    rc = -1;
fail:
    (void)rc;
    // syscall() left the error in errno, which is the creator's thread's (suspended until now).
    child->error = errno != 0 ? errno : EINVAL;
    CHILD_CALL(SYS_exit, 127);
    return 127;
}

int berth_spawn(const struct berth_spawn_request *request, int *pidfd) {
    const size_t stack_size = 64 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;

    // No signal handler of the creator may run in the child before it resets them.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);

    struct spawn_child child = { .request = request, .error = 0 };
    int fd = -1;
    // __clone, not clone: a thread sanitizer intercepts `clone` as a fork and breaks on CLONE_VM.
    pid_t pid = __clone(spawn_child_main, (char *)stack + stack_size,
                      CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &child, &fd);
    int clone_errno = errno;

    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, stack_size);
    if (pid < 0) return -clone_errno;
    if (child.error != 0) {
        // The child failed before exec and has exited: reap it here, it was never anyone's.
        siginfo_t info;
        waitid(P_PIDFD, fd, &info, WEXITED);
        close(fd);
        return -child.error;
    }
    *pidfd = fd;
    return pid;
}
