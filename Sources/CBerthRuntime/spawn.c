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
#include <unistd.h>
#include <linux/close_range.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

// The child shares the creator's memory (CLONE_VM) until it execs, and the creator's thread is
// suspended meanwhile (CLONE_VFORK): the child touches only its own stack, the request and
// `error`, and calls nothing but system calls.
struct spawn_child {
    const struct berth_spawn_request *request;
    volatile int error;
};

static int spawn_child_main(void *argument) {
    struct spawn_child *child = argument;
    const struct berth_spawn_request *r = child->request;

    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        syscall(SYS_rt_sigaction, sig, &action, NULL, _NSIG / 8);
    }
    if (r->death_signal != 0 && prctl(PR_SET_PDEATHSIG, r->death_signal) != 0) goto fail;

    // Lift every source descriptor above the targets first, so that placing one cannot close
    // another that is still to be placed.
    int lifted[64];
    if (r->fd_count > 64) { errno = EINVAL; goto fail; }
    for (int i = 0; i < r->fd_count; i++) {
        lifted[i] = -1;
        if (r->fd_map[i] < 0) continue;
        lifted[i] = fcntl(r->fd_map[i], F_DUPFD_CLOEXEC, r->fd_count);
        if (lifted[i] < 0) goto fail;
    }
    for (int i = 0; i < r->fd_count; i++) {
        if (lifted[i] < 0) { close(i); continue; }
        if (dup2(lifted[i], i) < 0) goto fail;
    }
    // Whatever else is open, the lifted copies included, closes at exec.
    if (syscall(SYS_close_range, (unsigned)r->fd_count, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        for (int fd = r->fd_count; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (r->new_session && setsid() < 0) goto fail;
    if (r->controlling_tty >= 0 && ioctl(r->controlling_tty, TIOCSCTTY, 0) != 0) goto fail;
    if (r->cwd != NULL && chdir(r->cwd) != 0) goto fail;

    sigset_t none;
    sigemptyset(&none);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
    if (r->exec_fd >= 0) {
        syscall(SYS_execveat, r->exec_fd, "", r->argv, r->envp, AT_EMPTY_PATH);
    } else {
        execve(r->path, r->argv, r->envp);
    }
fail:
    child->error = errno != 0 ? errno : EINVAL;
    _exit(127);
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
    pid_t pid = clone(spawn_child_main, (char *)stack + stack_size,
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
