#ifndef LECTERN_FILE_SYSTEM_H
#define LECTERN_FILE_SYSTEM_H

/// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE), so a reader of either path
/// sees the old tree or the new one, never a gap. Returns 0, or -1 with errno set (EINVAL/ENOSYS
/// where the file system cannot exchange; callers fall back to two renames).
int lectern_exchange_paths(const char *from, const char *to);

/// Flushes the file system holding `path` to disk (syncfs): one call after writing thousands of
/// files, instead of an fsync per file. Returns 0, or -1 with errno set.
int lectern_sync_file_system(const char *path);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends no other child inherits. Returns 0, or -1 with errno set.
int lectern_pipe(int fds[2]);

/// Starts the program at `path` with `argv` (NULL-terminated) and this process's environment, its
/// standard input, output and error on the given descriptors and no other descriptor of ours (glibc's
/// closefrom spawn action), and `fd3` as its descriptor 3 when it is not -1 (curl reads its config there,
/// so the message can come on standard input). Returns the child's pid, or -1 with errno set.
///
/// Instead of Foundation's Process.run(), which on Linux lists /proc/self/fd to close descriptors and
/// can read past glibc's readdir buffer and crash the whole process (swift-corelibs-foundation PR 5472,
/// not in Swift 6.3.1): lecternd starts curl for every e-mail.
int lectern_spawn(const char *path, char *const argv[], int stdin_fd, int stdout_fd, int stderr_fd, int fd3,
                  int new_group);

#endif
