#ifndef CBERTHRUNTIME_H
#define CBERTHRUNTIME_H

#include <stdint.h>
#include <sys/types.h>
#include <signal.h>
#include <linux/prctl.h>

/// Constants that glibc's headers show only with _GNU_SOURCE, which Swift's Glibc module lacks.
#define BERTH_O_PATH 010000000
#define BERTH_CLONE_NEWNS 0x00020000
#define BERTH_CLONE_NEWCGROUP 0x02000000
#define BERTH_CLONE_NEWUTS 0x04000000
#define BERTH_CLONE_NEWIPC 0x08000000
#define BERTH_CLONE_NEWUSER 0x10000000
#define BERTH_CLONE_NEWPID 0x20000000
#define BERTH_CLONE_NEWNET 0x40000000
enum {
    BERTH_ST_RDONLY = 1, BERTH_ST_NOSUID = 2, BERTH_ST_NODEV = 4, BERTH_ST_NOEXEC = 8,
    BERTH_ST_NOATIME = 1024, BERTH_ST_NODIRATIME = 2048, BERTH_ST_RELATIME = 4096,
};

/// The environment variable that names the init socket's descriptor in a `berthd init` process.
#define BERTH_INIT_ENV "_BERTH_INITPIPE"

/// Messages on the init socket: a header of two native-endian 32-bit words (type, payload
/// length) and the payload.
enum {
    /// Creator → init: the namespace steps (struct berth_bootstrap, then its join entries).
    BERTH_MSG_BOOTSTRAP = 1,
    /// Init → creator: the pid of the process that will exec the container's command, as the
    /// creator's pid namespace sees it (one 32-bit word).
    BERTH_MSG_PID = 2,
    /// Init → creator: a failure before exec (UTF-8 text; for the constructor, "step: strerror").
    BERTH_MSG_ERROR = 3,
    /// Creator → init: the container's configuration (JSON).
    BERTH_MSG_CONFIG = 4,
    /// Init → creator: set up, waiting for start.
    BERTH_MSG_READY = 5,
    /// Creator → init: exec the command now.
    BERTH_MSG_START = 6,
    /// Init → creator: the master of the container's terminal, attached (SCM_RIGHTS).
    BERTH_MSG_CONSOLE = 7,
};

/// The bootstrap payload's head; `join_count` entries follow, each a namespace type (a
/// CLONE_NEW* flag), a path length and the path's bytes (no terminating NUL).
struct berth_bootstrap {
    uint32_t magic;           // BERTH_BOOTSTRAP_MAGIC
    uint32_t unshare_flags;   // CLONE_NEW* flags of the namespaces to create
    uint32_t join_count;
    /// A pidfd (a descriptor number in init) whose namespaces `pidfd_flags` to join at once
    /// with setns(2) (Linux 5.8); -1 for none. Where the kernel refuses, the join entries are
    /// used instead.
    int32_t pidfd;
    uint32_t pidfd_flags;
};
#define BERTH_BOOTSTRAP_MAGIC 0x42455254u

/// Join entry types besides the CLONE_NEW* flags, listed first: the cgroups init moves itself
/// into before any namespace step. For a v1 hierarchy, its `tasks` file: "0" written there moves
/// the calling thread (the whole of a single-threaded process) without the global lock that
/// moving another process takes, which costs an RCU grace period (milliseconds). For cgroup2,
/// the directory: the child cloned for a pid namespace is born there (clone3 with
/// CLONE_INTO_CGROUP, Linux 5.7); without one, init writes "0" to its `cgroup.procs`.
#define BERTH_JOIN_CGROUP_V1_TASKS 1u
#define BERTH_JOIN_CGROUP_V2 2u
/// The most join entries a bootstrap carries.
#define BERTH_JOIN_MAX 48u

/// Marks that the constructor ran (or was linked at all): Swift calls it so that the linker
/// keeps the object file that holds the constructor.
int berth_nsexec_linked(void);

/// What `berth_spawn` starts.
struct berth_spawn_request {
    /// A descriptor to exec (`execveat` with AT_EMPTY_PATH), or -1 to exec `path`.
    int exec_fd;
    const char *path;
    char *const *argv;
    char *const *envp;
    /// fd_map[i] is the creator's descriptor that becomes the child's descriptor i; -1 leaves
    /// i closed. Every other descriptor is closed in the child.
    const int *fd_map;
    int fd_count;
    /// Start a new session (setsid), and make child descriptor `controlling_tty` (if >= 0) its
    /// controlling terminal.
    int new_session;
    int controlling_tty;
    /// PR_SET_PDEATHSIG in the child (0 for none). It fires when the creating thread exits.
    int death_signal;
    /// The child's working directory, or NULL to keep the creator's.
    const char *cwd;
};

/// Starts a process with clone(CLONE_VM|CLONE_VFORK|CLONE_PIDFD): the child runs only system
/// calls (signals reset, descriptors placed, session, exec), never Swift or malloc. Returns the
/// pid and sets *pidfd, or returns -errno (the child's exec error included).
int berth_spawn(const struct berth_spawn_request *request, int *pidfd);

/// System calls glibc 2.36 has no wrapper for, or whose wrapper Swift cannot call.
int berth_pidfd_open(pid_t pid);
int berth_pidfd_send_signal(int pidfd, int signal);
/// waitid(P_PIDFD): 0 and the exit (code, or 128 + signal) in *status once exited; -1 with
/// errno otherwise. `nohang` makes it not wait.
int berth_pidfd_wait(int pidfd, int nohang, int *status, int *signaled);
int berth_pivot_root(const char *new_root, const char *put_old);
int berth_close_range_cloexec(unsigned int first);
/// An O_PATH descriptor of `directory`/`name` seen through a read-only overlay mount of
/// `directory` over the empty `empty_directory` (two lower layers and no upper: nothing
/// written through it can reach the file, and unlike a read-only bind it cannot be remounted
/// writable), detached from every mount tree. A zero-copy alternative to a memfd copy (runc
/// 1.2's). Linux 5.2 (fsopen) with overlayfs; -1 with errno otherwise.
int berth_open_sealed_view(const char *directory, const char *name, const char *empty_directory);

/// A close-on-exec memfd that allows sealing.
int berth_memfd_create(const char *name);
/// Installs a seccomp BPF program of `count` instructions (struct sock_filter) in the calling
/// thread's process, as seccomp_load does with libseccomp's defaults.
int berth_seccomp_load_program(const void *instructions, unsigned short count);
int berth_seal_memfd(int fd);
int berth_capset(uint32_t effective[2], uint32_t permitted[2], uint32_t inheritable[2]);
int berth_capget(uint32_t effective[2], uint32_t permitted[2], uint32_t inheritable[2]);
int berth_prctl(int option, unsigned long a, unsigned long b, unsigned long c, unsigned long d);
int berth_sethostname(const char *name, size_t length);
int berth_setdomainname(const char *name, size_t length);
int berth_mknodat(int dirfd, const char *path, unsigned int mode, unsigned int major, unsigned int minor);
int berth_ioctl_int(int fd, unsigned long request, int value);
/// Every signal handler back to SIG_DFL and the mask emptied (init, before exec).
void berth_reset_signals(void);
/// sendmsg of `length` bytes with descriptor `fd` attached (SCM_RIGHTS); `fd` < 0 sends none.
/// Returns the bytes sent or -1.
long berth_send_with_fd(int socket, const void *data, size_t length, int fd);
/// recvmsg of up to `length` bytes; a descriptor that came with them is stored in *fd
/// (close-on-exec), else *fd is -1. Returns the bytes read, 0 at the end, or -1.
long berth_recv_with_fd(int socket, void *data, size_t length, int *fd);
/// Opens a terminal in the caller's /dev/ptmx (the container's devpts once it pivoted): the
/// master (close-on-exec) in *master, the slave's path in `name`.
int berth_open_pty(int *master, char *name, size_t name_length);
int berth_set_window_size(int fd, unsigned short rows, unsigned short columns);
int berth_make_controlling_terminal(int fd);

/// Brings the loopback interface of the caller's network namespace up.
int berth_loopback_up(void);
/// pipe2 with O_CLOEXEC.
int berth_pipe_cloexec(int fds[2]);
int berth_unshare(int flags);
int berth_setresuid(uid_t uid);
int berth_setresgid(gid_t gid);
int berth_setns(int fd, int nstype);

#endif
