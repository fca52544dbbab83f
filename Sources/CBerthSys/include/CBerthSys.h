#ifndef CBERTHSYS_H
#define CBERTHSYS_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

/// O_PATH, which Glibc's headers hide without _GNU_SOURCE: a descriptor that names a file
/// without opening it (no read, no side effect of opening a device or FIFO).
#define BERTH_O_PATH 010000000

/// Readiness bits reported by berth_epoll_wait (a stable subset of EPOLL*).
enum {
    BERTH_EV_READ = 1,
    BERTH_EV_WRITE = 2,
    BERTH_EV_HUP = 4,
    BERTH_EV_ERROR = 8,
};

int berth_epoll_create(void);
/// Adds fd edge-triggered for read, write and hang-up readiness.
int berth_epoll_add(int epfd, int fd);
int berth_epoll_del(int epfd, int fd);
/// Waits for events; fills fds[i] and events[i] (BERTH_EV_* bits). Returns the count or -1.
int berth_epoll_wait(int epfd, int32_t *fds, uint32_t *events, int max, int timeout_ms);
/// As berth_epoll_add, with a tag reported back with each event: the reactor tags each
/// registration with a generation, so an event read for a descriptor just before it was closed
/// is not applied to a new socket that reuses its number.
int berth_epoll_add_tagged(int epfd, int fd, uint32_t tag);
/// As berth_epoll_wait, also filling tags[i].
int berth_epoll_wait_tagged(int epfd, int32_t *fds, uint32_t *tags, uint32_t *events, int max, int timeout_ms);

/// Milliseconds on CLOCK_MONOTONIC_COARSE: a few nanoseconds to read, a few milliseconds of
/// resolution; for deadlines checked by a periodic sweep.
uint64_t berth_monotonic_coarse_ms(void);

int berth_eventfd(void);
int berth_eventfd_signal(int fd);
int berth_eventfd_clear(int fd);

int berth_socket_stream(int domain);
int berth_accept(int fd, struct sockaddr_storage *addr, socklen_t *len);
int berth_set_nodelay(int fd);
int berth_set_reuseaddr(int fd);
int berth_set_v6only(int fd, int on);
int berth_set_nonblocking(int fd);
/// Fills a sockaddr_un; returns -1 when the path does not fit.
int berth_sockaddr_un(struct sockaddr_un *addr, const char *path, socklen_t *len);

#include <pthread.h>
/// Names a thread for ps/top (at most 15 bytes).
int berth_set_thread_name(pthread_t thread, const char *name);


/// File-system calls for extracting archives relative to directory descriptors; wrappers because
/// Swift's Glibc module lacks the xattr calls and the device-number macros, and sees openat as
/// ambiguous (it is variadic).
int berth_openat(int dirfd, const char *path, int flags, unsigned mode);
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size);
long berth_fgetxattr(int fd, const char *name, void *value, size_t size);
long berth_flistxattr(int fd, char *list, size_t size);
/// lsetxattr on `name` inside the directory `dirfd`, without following a final symlink.
int berth_lsetxattrat(int dirfd, const char *name, const char *attr, const void *value, size_t size);
/// llistxattr / lgetxattr likewise, for reading a layer back.
long berth_llistxattrat(int dirfd, const char *name, char *list, size_t size);
long berth_lgetxattrat(int dirfd, const char *name, const char *attr, void *value, size_t size);
unsigned long berth_makedev(unsigned int major, unsigned int minor);
unsigned int berth_major(unsigned long dev);
unsigned int berth_minor(unsigned long dev);
/// openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `path` is resolved as if `rootfd` were
/// the root directory, so neither `..` nor a symlink can lead outside it. -1 with ENOSYS on
/// kernels before 5.6.
int berth_openat_in_root(int rootfd, const char *path, int flags, unsigned mode);
/// The file system type (statfs f_type) under `path`, or -1.
long berth_filesystem_type(const char *path);
/// renameat2 (RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2).
int berth_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

#endif
