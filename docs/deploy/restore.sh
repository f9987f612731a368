#!/usr/bin/env bash
# Restores a Lectern site from backup.sh's files: the database and keys/ of one timestamp (the newest
# unless STAMP is given). Stop lecternd first (`systemctl stop lecternd`); start it again after.
# The database copy is checked (SQLite's integrity check) before anything is replaced.
#
# usage: restore.sh SITE_DIR BACKUP_DIR [STAMP]     (the database file: LECTERN_DB, default SITE_DIR/lectern.sqlite)
set -euo pipefail
site=${1:?usage: restore.sh SITE_DIR BACKUP_DIR [STAMP]}
src=${2:?usage: restore.sh SITE_DIR BACKUP_DIR [STAMP]}
stamp=${3:-}
if [ -z "$stamp" ]; then
  newest=$(find "$src" -maxdepth 1 -name 'lectern-*.sqlite' | sort | tail -n 1)
  [ -n "$newest" ] || { echo "restore: no lectern-*.sqlite in $src" >&2; exit 1; }
  stamp=${newest##*/lectern-}; stamp=${stamp%.sqlite}
fi
db="$src/lectern-$stamp.sqlite"; keys="$src/keys-$stamp.tar.gz"
[ -f "$db" ] && [ -f "$keys" ] || { echo "restore: no database and keys pair for $stamp in $src" >&2; exit 1; }
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || { echo "restore: $db fails its integrity check" >&2; exit 1; }
target=${LECTERN_DB:-$site/lectern.sqlite}
umask 077
staging=$(mktemp -d "$site/.restore-XXXXXX")
tar -C "$staging" -xzf "$keys"
cp "$db" "$staging/lectern.sqlite"
rm -f "$target-wal" "$target-shm"
mv -f "$staging/lectern.sqlite" "$target"
rm -rf "$site/keys" && mv "$staging/keys" "$site/keys"
rmdir "$staging"
echo "restored $stamp into $site; start lecternd"
