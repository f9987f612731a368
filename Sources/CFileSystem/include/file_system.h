#ifndef LECTERN_FILE_SYSTEM_H
#define LECTERN_FILE_SYSTEM_H

/// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE), so a reader of either path
/// sees the old tree or the new one, never a gap. Returns 0, or -1 with errno set (EINVAL/ENOSYS
/// where the file system cannot exchange; callers fall back to two renames).
int lectern_exchange_paths(const char *from, const char *to);

/// Flushes the file system holding `path` to disk (syncfs): one call after writing thousands of
/// files, instead of an fsync per file. Returns 0, or -1 with errno set.
int lectern_sync_file_system(const char *path);

#endif
