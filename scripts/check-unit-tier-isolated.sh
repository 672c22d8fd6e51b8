#!/usr/bin/env bash
# Proves the unit tier needs nothing but Node and `npm ci`: runs `npm run test:unit` in a private
# mount namespace where PostgreSQL, Patroni, etcd, pgBackRest, PgBouncer, the PostgreSQL exporter
# and iproute2 are hidden and the postgres user and group do not exist. Nothing outside the
# namespace changes; the hiding ends with the run. Needs root (unshare --mount).
#
#   bash scripts/check-unit-tier-isolated.sh [vitest args…]   (npm run test:unit:isolated)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${CHECK_UNIT_TIER_INSIDE:-}" != 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "check-unit-tier-isolated: needs root for unshare --mount" >&2
    exit 1
  fi
  CHECK_UNIT_TIER_INSIDE=1 exec unshare --mount --propagation private -- bash "$0" "$@"
fi

# --- inside the namespace: mounts made here are private to this process tree ---

# The Debian packages scripts/install-system-deps.sh installs for the component and integration
# tiers (iproute2: the sandbox's network namespaces).
packages=(
  postgresql postgresql-15 postgresql-contrib postgresql-15-pgaudit postgresql-client-15
  postgresql-common postgresql-client-common patroni python3-etcd python3-pysyncobj
  etcd-server etcd-client pgbackrest pgbouncer prometheus-postgres-exporter iproute2
)
# Whole trees that only those packages, Patroni's Python dependencies (psycopg2, PyYAML) and
# PostgreSQL's own state use: an empty tmpfs over each.
dirs=(
  /usr/lib/postgresql /usr/share/postgresql /usr/share/postgresql-common /etc/postgresql
  /etc/postgresql-common /var/lib/postgresql /var/run/postgresql /var/log/postgresql
  /usr/lib/python3/dist-packages/patroni /usr/lib/python3/dist-packages/etcd
  /usr/lib/python3/dist-packages/pysyncobj /usr/lib/python3/dist-packages/psycopg2
  /usr/lib/python3/dist-packages/yaml /usr/lib/python3/dist-packages/_yaml
  /etc/patroni /etc/pgbackrest /etc/pgbouncer
  /var/lib/etcd /var/lib/pgbackrest
)
# Executables by name, wherever on PATH or in /usr/local they are (e.g. /usr/local/bin/pg_ctl).
names=(
  postgres initdb pg_ctl pg_ctlcluster pg_lsclusters pg_createcluster pg_dropcluster psql pg_dump
  pg_restore pg_basebackup pg_isready pg_rewind createdb createuser dropdb dropuser
  patroni patronictl patroni_raft_controller etcd etcdctl etcdutl pgbackrest pgbouncer
  prometheus-postgres-exporter ip tc ss bridge
)

hidden=()
hide_dir() {
  [ -d "$1" ] || return 0
  mount -t tmpfs -o size=64k,mode=0755 tmpfs "$1"
  hidden+=("$1/")
}
hide_file() {
  local real
  real=$(realpath -e -- "$1" 2>/dev/null) || return 0 # already gone (e.g. a link into a hidden dir)
  [ -f "$real" ] || return 0
  for h in "${hidden[@]}"; do
    case "$h" in
      */) [ "${real#"$h"}" = "$real" ] || return 0 ;; # inside a hidden tree
      *) [ "$h" != "$real" ] || return 0 ;;            # hidden already
    esac
  done
  mount --bind /dev/null "$real"
  hidden+=("$real")
}

for d in "${dirs[@]}"; do hide_dir "$d"; done
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || continue
  while IFS= read -r f; do
    case "$f" in
      /bin/* | /sbin/* | /usr/bin/* | /usr/sbin/* | /usr/local/bin/* | /usr/local/sbin/*) hide_file "$f" ;;
    esac
  done < <(dpkg -L "$p")
done
IFS=: read -r -a path_dirs <<< "$PATH"
for n in "${names[@]}"; do
  for d in "${path_dirs[@]}" /usr/local/bin /usr/local/sbin /usr/bin /usr/sbin; do
    [ -e "$d/$n" ] && hide_file "$d/$n"
  done
done

# /etc/passwd, /etc/group (and their shadows) without the postgres user and group.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
without_postgres() {
  local file=$1 out
  [ -f "$file" ] || return 0
  out="$work/$(basename "$file")"
  # Drop postgres' own line; drop it from group member lists (the 4th field of group/gshadow).
  awk -F: -v OFS=: '$1 != "postgres" { if (NF >= 4) { n = split($NF, m, ","); s = ""; for (i = 1; i <= n; i++) if (m[i] != "postgres") s = s (s == "" ? "" : ",") m[i]; $NF = s } print }' "$file" > "$out"
  chmod --reference="$file" "$out"
  mount --bind "$out" "$file"
}
without_postgres /etc/passwd
without_postgres /etc/group
# shadow files: the user line only (their 4th field is not a member list in /etc/shadow).
for f in /etc/shadow /etc/gshadow; do
  [ -f "$f" ] || continue
  awk -F: '$1 != "postgres"' "$f" > "$work/${f##*/}"
  chmod --reference="$f" "$work/${f##*/}"
  mount --bind "$work/${f##*/}" "$f"
done

# The hiding must hold, or the check proves nothing.
fail=0
if getent passwd postgres >/dev/null || getent group postgres >/dev/null || id postgres >/dev/null 2>&1; then
  echo "check-unit-tier-isolated: the postgres user or group is still visible" >&2
  fail=1
fi
for n in postgres pg_ctl initdb psql patroni etcd etcdctl pgbackrest pgbouncer ip; do
  if command -v "$n" >/dev/null 2>&1 && [ -x "$(command -v "$n")" ] && [ ! -c "$(command -v "$n")" ]; then
    echo "check-unit-tier-isolated: $n is still runnable at $(command -v "$n")" >&2
    fail=1
  fi
done
if [ -e /usr/lib/postgresql/15/bin/postgres ] || python3 -c 'import patroni' >/dev/null 2>&1; then
  echo "check-unit-tier-isolated: PostgreSQL or Patroni is still installed in the namespace" >&2
  fail=1
fi
[ "$fail" -eq 0 ] || exit 1
echo "check-unit-tier-isolated: hidden ${#hidden[@]} paths and the postgres user; running the unit tier" >&2

npm run test:unit -- "$@"
