#!/usr/bin/env bash
# Backs up a Lectern site: the database (`lectern backup`: one consistent instant, safe while lecternd
# runs) and keys/ (the signing keys and watermark.secret: without them no e-mailed link, no access cookie
# and no fingerprint trace survives a restore). Both files share a timestamp; old pairs are pruned.
# Run it daily (cron: `17 3 * * * lectern /srv/lectern/docs/deploy/backup.sh /srv/lectern /var/backups/lectern`),
# and copy the backup folder off the machine. Restore with restore.sh; docs/going-live.md has the drill.
#
# usage: backup.sh SITE_DIR BACKUP_DIR [KEEP_DAYS]     (LECTERN=path/to/lectern if it is not on PATH)
set -euo pipefail
site=${1:?usage: backup.sh SITE_DIR BACKUP_DIR [KEEP_DAYS]}
dest=${2:?usage: backup.sh SITE_DIR BACKUP_DIR [KEEP_DAYS]}
keep=${3:-30}
lectern=${LECTERN:-lectern}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
umask 077  # both files hold secrets or buyers' addresses
mkdir -p "$dest"
"$lectern" backup --root "$site" "$dest/lectern-$stamp.sqlite" >/dev/null
tar -C "$site" -czf "$dest/keys-$stamp.tar.gz" keys
find "$dest" -maxdepth 1 \( -name 'lectern-*.sqlite' -o -name 'keys-*.tar.gz' \) -mtime +"$keep" -delete
echo "backed up: $dest/lectern-$stamp.sqlite and $dest/keys-$stamp.tar.gz"
