#ifndef LECTERN_ATOMIC_RENAME_H
#define LECTERN_ATOMIC_RENAME_H

/// Swaps two paths in one step (Linux renameat2 with RENAME_EXCHANGE), so a reader of either path
/// sees the old tree or the new one, never a gap. Returns 0, or -1 with errno set (EINVAL/ENOSYS
/// where the file system cannot exchange; callers fall back to two renames).
int lectern_exchange_paths(const char *from, const char *to);

#endif
