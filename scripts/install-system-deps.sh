#!/usr/bin/env bash
# Installs the Debian packages the sandbox and the test suite run: PostgreSQL, Patroni with its
# etcd3 client, etcd, pgBackRest, PgBouncer, the PostgreSQL exporter, and the tools the sandbox
# uses to give each unit its own network and mount namespaces. Idempotent; needs root.
#
# prometheus: promtool checks and unit-tests the charm's alert rules, and the sandbox's COS
# stand-in runs it. xz-utils: the build compresses the Grafana dashboards with liblzma.
#
# locales-all: the workload has the locales the charmed-postgresql rock ships. The rock is made
# from the charmed-postgresql snap, whose snapcraft.yaml stages `locales-all`
# (canonical/charmed-postgresql-snap, snap/snapcraft.yaml, part postgres-debs), so the charm's
# lc_* options accept e.g. en_GB.utf8. The pods share this machine's /usr, so `locale -a` in a
# pod lists what is installed here.
set -euo pipefail

packages=(
  postgresql postgresql-contrib postgresql-15-pgaudit patroni python3-etcd python3-pysyncobj python3-yaml etcd-server etcd-client
  pgbackrest pgbouncer prometheus-postgres-exporter
  prometheus xz-utils
  iproute2 iptables procps util-linux e2fsprogs psmisc curl ca-certificates openssl locales locales-all unzip zip time
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  # Debian's default cluster must never be created or started: the sandbox's units own 5432.
  mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf ||
    echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
  apt-get update -qq
  # python3-etcd must be in the same line: otherwise apt satisfies patroni's DCS alternative with
  # pysyncobj and Patroni's etcd3 support fails to import (docs/patroni-rest-api.md#packages).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A pre-existing default cluster (the node image ships one) must stay down.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r version name _; do
    pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    echo manual > "/etc/postgresql/$version/$name/start.conf" 2>/dev/null || true
  done
fi

for bin in patroni etcd pgbackrest pgbouncer promtool prometheus xz /usr/lib/postgresql/15/bin/postgres; do
  command -v "$bin" >/dev/null 2>&1 || { echo "install-system-deps: $bin missing after install" >&2; exit 1; }
done
# Not `locale -a | grep -q`: grep stopping early makes locale die of SIGPIPE, which pipefail reports.
grep -qx 'en_GB.utf8' <<<"$(locale -a 2>/dev/null)" || { echo "install-system-deps: locale en_GB.utf8 missing after install" >&2; exit 1; }
echo "install-system-deps: ok"
