#!/usr/bin/env bash
# Back up or restore Intake's PostgreSQL database with pg_dump / pg_restore.
#
#   deploy/backup.sh backup  postgresql://user@host/db  /backups/intake-$(date +%F).dump [pg_dump options]
#   deploy/backup.sh restore postgresql://user@host/db  /backups/intake-2026-11-25.dump [pg_restore options]
#
# Backups are pg_dump's custom format (compressed, restorable table by table), without
# owners or grants: whoever restores owns what is restored, and the database restored
# into gets its grants from deploy/grants.sql. Run both as the schema owner, and
# restore into an empty database the owner owns (docs/deploy.md, "Backup and
# restore"). The data is already encrypted column by column, but keep dumps as secret
# as the keys: a dump and INTAKE_DATA_KEYS together are everything.
set -euo pipefail

usage() { echo "usage: $0 backup|restore DATABASE_URL FILE [options]" >&2; exit 2; }
[ $# -ge 3 ] || usage
action=$1 url=${2/postgresql+psycopg:/postgresql:} file=$3
shift 3

case "$action" in
  backup)
    umask 077
    pg_dump --format=custom --no-owner --no-privileges --dbname="$url" --file="$file.partial" "$@"
    # A dump that pg_restore cannot read is no backup: it never takes the real name.
    pg_restore --list "$file.partial" >/dev/null
    mv "$file.partial" "$file"
    echo "Backed up to $file ($(du -h "$file" | cut -f1))."
    ;;
  restore)
    [ -r "$file" ] || { echo "cannot read $file" >&2; exit 1; }
    # All or nothing: a restore that fails half way leaves the database as it was.
    pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
      --dbname="$url" "$@" "$file"
    echo "Restored $file."
    ;;
  *) usage ;;
esac
