#ifndef FLIGHTDECK_CGLIBC_SHIM_H
#define FLIGHTDECK_CGLIBC_SHIM_H

// What glibc has and the Swift Glibc module leaves out.

#include <malloc.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/socket.h>

// glibc (2.29 and later) has it, but declares it only under _GNU_SOURCE, which the Swift
// Glibc module is not built with: declared here as glibc does.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict actions, const char *__restrict path);
// glibc 2.34 and later: close every descriptor from `from` up in the child.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

// Linux: a pipe whose ends are close-on-exec from the start (no window in which a child
// spawned by another thread inherits them). Declared under _GNU_SOURCE too.
extern int pipe2(int pipefd[2], int flags);

// Linux: sendmmsg(2), many datagrams in one system call; its struct mmsghdr is declared
// under _GNU_SOURCE too, so here under a name of ours with the same layout.
struct fd_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int sendmmsg(int sockfd, struct fd_mmsghdr *msgvec, unsigned int vlen, int flags);
// recvmmsg(2), its counterpart for reading.
extern int recvmmsg(int sockfd, struct fd_mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout);

#endif
