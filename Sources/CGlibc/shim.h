#ifndef FLIGHTDECK_CGLIBC_SHIM_H
#define FLIGHTDECK_CGLIBC_SHIM_H

// What glibc has and the Swift Glibc module leaves out.

#include <spawn.h>
#include <malloc.h>

// glibc (2.29 and later) has it, but declares it only under _GNU_SOURCE, which the Swift
// Glibc module is not built with: declared here as glibc does.
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *__restrict actions, const char *__restrict path);
// glibc 2.34 and later: close every descriptor from `from` up in the child.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

// Linux: a pipe whose ends are close-on-exec from the start (no window in which a child
// spawned by another thread inherits them). Declared under _GNU_SOURCE too.
extern int pipe2(int pipefd[2], int flags);

#endif
