#define _GNU_SOURCE
#include "CBerthSys.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <time.h>

int berth_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int berth_epoll_add_tagged(int epfd, int fd, uint32_t tag) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = ((uint64_t)tag << 32) | (uint32_t)fd;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int berth_epoll_add(int epfd, int fd) { return berth_epoll_add_tagged(epfd, fd, 0); }

int berth_epoll_del(int epfd, int fd) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int berth_epoll_wait_tagged(int epfd, int32_t *fds, uint32_t *tags, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[256];
    if (max > 256) max = 256;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) {
        uint32_t e = evs[i].events, out = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) out |= BERTH_EV_READ;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) out |= BERTH_EV_WRITE;
        if (e & (EPOLLRDHUP | EPOLLHUP)) out |= BERTH_EV_HUP;
        if (e & EPOLLERR) out |= BERTH_EV_ERROR;
        fds[i] = (int32_t)(evs[i].data.u64 & 0xffffffffu);
        if (tags) tags[i] = (uint32_t)(evs[i].data.u64 >> 32);
        events[i] = out;
    }
    return n;
}

int berth_epoll_wait(int epfd, int32_t *fds, uint32_t *events, int max, int timeout_ms) {
    return berth_epoll_wait_tagged(epfd, fds, NULL, events, max, timeout_ms);
}

int berth_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
int berth_eventfd_signal(int fd) { uint64_t one = 1; return (int)write(fd, &one, sizeof one); }
uint64_t berth_monotonic_coarse_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int berth_eventfd_clear(int fd) { uint64_t v; return (int)read(fd, &v, sizeof v); }

int berth_socket_stream(int domain) { return socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); }

int berth_accept(int fd, struct sockaddr_storage *addr, socklen_t *len) {
    return accept4(fd, (struct sockaddr *)addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int berth_set_nodelay(int fd) { int one = 1; return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
int berth_set_reuseaddr(int fd) { int one = 1; return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); }
int berth_set_v6only(int fd, int on) { return setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on); }

int berth_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int berth_sockaddr_un(struct sockaddr_un *addr, const char *path, socklen_t *len) {
    size_t n = strlen(path);
    memset(addr, 0, sizeof *addr);
    if (n >= sizeof addr->sun_path) { errno = ENAMETOOLONG; return -1; }
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, path, n);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

int berth_set_thread_name(pthread_t thread, const char *name) { return pthread_setname_np(thread, name); }

#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <sys/syscall.h>

int berth_openat(int dirfd, const char *path, int flags, unsigned mode) { return openat(dirfd, path, flags, (mode_t)mode); }
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size) { return fsetxattr(fd, name, value, size, 0); }
long berth_fgetxattr(int fd, const char *name, void *value, size_t size) { return fgetxattr(fd, name, value, size); }
long berth_flistxattr(int fd, char *list, size_t size) { return flistxattr(fd, list, size); }

static int berth_fd_path(char *buf, size_t size, int dirfd, const char *name) {
    int n = snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);
    if (n < 0 || (size_t)n >= size) { errno = ENAMETOOLONG; return -1; }
    return 0;
}

int berth_lsetxattrat(int dirfd, const char *name, const char *attr, const void *value, size_t size) {
    char path[4096 + 64];
    if (berth_fd_path(path, sizeof path, dirfd, name) != 0) return -1;
    return lsetxattr(path, attr, value, size, 0);
}

long berth_llistxattrat(int dirfd, const char *name, char *list, size_t size) {
    char path[4096 + 64];
    if (berth_fd_path(path, sizeof path, dirfd, name) != 0) return -1;
    return llistxattr(path, list, size);
}

long berth_lgetxattrat(int dirfd, const char *name, const char *attr, void *value, size_t size) {
    char path[4096 + 64];
    if (berth_fd_path(path, sizeof path, dirfd, name) != 0) return -1;
    return lgetxattr(path, attr, value, size);
}

unsigned long berth_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
unsigned int berth_major(unsigned long dev) { return major(dev); }
unsigned int berth_minor(unsigned long dev) { return minor(dev); }

int berth_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

#include <linux/openat2.h>

int berth_openat_in_root(int rootfd, const char *path, int flags, unsigned mode) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (unsigned long long)(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

#include <sys/vfs.h>

long berth_filesystem_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}
