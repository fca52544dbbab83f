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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <stdlib.h>
#include <termios.h>
#include <sys/socket.h>

int berth_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int berth_pidfd_send_signal(int pidfd, int signal) { return (int)syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0); }

int berth_pidfd_wait(int pidfd, int nohang, int *status, int *signaled) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do {
        rc = waitid(P_PIDFD, (id_t)pidfd, &info, WEXITED | (nohang ? WNOHANG : 0));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) return -1;
    if (info.si_pid == 0) { errno = EAGAIN; return -1; }  // WNOHANG, still running
    if (info.si_code == CLD_EXITED) {
        *status = info.si_status;
        *signaled = 0;
    } else {
        *status = 128 + info.si_status;
        *signaled = info.si_status;
    }
    return 0;
}

int berth_pivot_root(const char *new_root, const char *put_old) { return (int)syscall(SYS_pivot_root, new_root, put_old); }

int berth_close_range_cloexec(unsigned int first) {
    if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return 0;
    for (int fd = (int)first; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    return 0;
}

int berth_memfd_create(const char *name) { return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC | MFD_ALLOW_SEALING); }

int berth_seal_memfd(int fd) {
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
}

// The new mount API's constants (<linux/mount.h>), for headers that lack them.
#define BERTH_FSOPEN_CLOEXEC 0x1u
#define BERTH_FSMOUNT_CLOEXEC 0x1u
#define BERTH_FSCONFIG_SET_STRING 1u
#define BERTH_FSCONFIG_CMD_CREATE 6u
#define BERTH_MOUNT_ATTR_RDONLY 0x1u
#define BERTH_MOUNT_ATTR_NOSUID 0x2u
#define BERTH_MOUNT_ATTR_NODEV 0x4u

// Appends `path` to `out` with overlayfs's escapes (":" and "\\" separate and escape lowerdirs).
static int append_escaped(char *out, size_t size, size_t *used, const char *path) {
    for (const char *c = path; *c; c++) {
        if (*c == ':' || *c == '\\') {
            if (*used + 1 >= size) return -1;
            out[(*used)++] = '\\';
        }
        if (*used + 1 >= size) return -1;
        out[(*used)++] = *c;
    }
    out[*used] = 0;
    return 0;
}

int berth_open_sealed_view(const char *directory, const char *name, const char *empty_directory) {
    char lower[8192];
    size_t used = 0;
    if (append_escaped(lower, sizeof lower, &used, directory) != 0) { errno = ENAMETOOLONG; return -1; }
    if (used + 1 >= sizeof lower) { errno = ENAMETOOLONG; return -1; }
    lower[used++] = ':';
    lower[used] = 0;
    if (append_escaped(lower, sizeof lower, &used, empty_directory) != 0) { errno = ENAMETOOLONG; return -1; }
    int context = (int)syscall(SYS_fsopen, "overlay", BERTH_FSOPEN_CLOEXEC);
    if (context < 0) return -1;
    int mount_fd = -1, result = -1, saved = 0;
    if (syscall(SYS_fsconfig, context, BERTH_FSCONFIG_SET_STRING, "lowerdir", lower, 0) != 0) goto out;
    // xino is of no use here, and where the layers lie on different file systems it logs.
    (void)syscall(SYS_fsconfig, context, BERTH_FSCONFIG_SET_STRING, "xino", "off", 0);
    if (syscall(SYS_fsconfig, context, BERTH_FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) goto out;
    mount_fd = (int)syscall(SYS_fsmount, context, BERTH_FSMOUNT_CLOEXEC,
                            BERTH_MOUNT_ATTR_RDONLY | BERTH_MOUNT_ATTR_NOSUID | BERTH_MOUNT_ATTR_NODEV);
    if (mount_fd < 0) goto out;
    result = openat(mount_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
out:
    saved = errno;
    if (mount_fd >= 0) close(mount_fd);
    close(context);
    errno = saved;
    return result;
}

int berth_capset(uint32_t effective[2], uint32_t permitted[2], uint32_t inheritable[2]) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = effective[i];
        data[i].permitted = permitted[i];
        data[i].inheritable = inheritable[i];
    }
    return (int)syscall(SYS_capset, &header, data);
}

int berth_capget(uint32_t effective[2], uint32_t permitted[2], uint32_t inheritable[2]) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        effective[i] = data[i].effective;
        permitted[i] = data[i].permitted;
        inheritable[i] = data[i].inheritable;
    }
    return 0;
}

int berth_prctl(int option, unsigned long a, unsigned long b, unsigned long c, unsigned long d) {
    return prctl(option, a, b, c, d);
}

int berth_sethostname(const char *name, size_t length) { return sethostname(name, length); }
int berth_setdomainname(const char *name, size_t length) { return setdomainname(name, length); }

int berth_mknodat(int dirfd, const char *path, unsigned int mode, unsigned int major, unsigned int minor) {
    return mknodat(dirfd, path, (mode_t)mode, makedev(major, minor));
}

int berth_ioctl_int(int fd, unsigned long request, int value) { return ioctl(fd, request, value); }

void berth_reset_signals(void) {
    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        syscall(SYS_rt_sigaction, sig, &action, NULL, _NSIG / 8);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int berth_unshare(int flags) { return unshare(flags); }
int berth_setns(int fd, int nstype) { return setns(fd, nstype); }
int berth_setresuid(uid_t uid) { return setresuid(uid, uid, uid); }
int berth_setresgid(gid_t gid) { return setresgid(gid, gid, gid); }
int berth_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int berth_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFFLAGS, &request);
    if (rc == 0 && !(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        rc = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

long berth_send_with_fd(int socket, const void *data, size_t length, int fd) {
    struct iovec vector = { .iov_base = (void *)data, .iov_len = length };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (fd >= 0) {
        message.msg_control = control.space;
        message.msg_controllen = sizeof control.space;
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(header), &fd, sizeof fd);
    }
    long n;
    do { n = sendmsg(socket, &message, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

long berth_recv_with_fd(int socket, void *data, size_t length, int *fd) {
    struct iovec vector = { .iov_base = data, .iov_len = length };
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.space,
                              .msg_controllen = sizeof control.space };
    *fd = -1;
    long n;
    do { n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n < 0) return n;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(header), sizeof *fd);
    }
    return n;
}

int berth_open_pty(int *master, char *name, size_t name_length) {
    int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    if (unlockpt(fd) != 0 || ptsname_r(fd, name, name_length) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    *master = fd;
    return 0;
}

int berth_set_window_size(int fd, unsigned short rows, unsigned short columns) {
    struct winsize size = { .ws_row = rows, .ws_col = columns };
    return ioctl(fd, TIOCSWINSZ, &size);
}

int berth_make_controlling_terminal(int fd) {
    if (setsid() < 0 && errno != EPERM) return -1;  // EPERM: already a session leader
    return ioctl(fd, TIOCSCTTY, 0);
}

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

int berth_seccomp_load_program(const void *instructions, unsigned short count) {
    struct sock_fprog program = { .len = count, .filter = (struct sock_filter *)instructions };
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}
