/**
 * The bash scripts the backup benchmark runs inside the primary's pod (`sandbox ssh`), as pure
 * functions of their inputs. Each script times itself with the pod's clock (`date +%s%3N`) and
 * prints `key=value` lines that `fields` reads back, so the sandbox CLI's own start-up is never
 * part of a raw measurement.
 *
 * pgBackRest runs as `postgres` with the pgbackrest.conf the charm rendered
 * (https://pgbackrest.org/command.html). The raw restore goes into a directory of its own and a
 * PostgreSQL started by `pg_ctl` on a private socket and port, archiving off, so it neither
 * touches the charm's cluster nor pushes WAL into the charm's repository.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
/** Where the raw restore's PostgreSQL listens: a socket directory and port of its own. */
export const RAW_SOCKET_DIR = '/tmp/bench-raw-sock';
export const RAW_PORT = 5499;
/** The charm's cluster has no `postgres` role: its superuser is `operator` (trust on the private socket). */
const RAW_USER = 'operator';

const SAFE = /^[A-Za-z0-9._:/=@+-]+$/;

function safe(value: string, what: string): string {
  if (!SAFE.test(value)) throw new Error(`${what} ${JSON.stringify(value)} cannot go into a pod script`);
  return value;
}

/** `key=value` lines of a script's stdout. */
export function fields(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^([a-z_]+)=(.*)$/.exec(line.trim());
    if (match) out[match[1]!] = match[2]!;
  }
  return out;
}

/** `pgbench -i` at `scale` against the pod's own PostgreSQL as `user` (server-side data generation). */
export function pgbenchInitScript(input: { host: string; user: string; scale: number }): string {
  return [
    'set -eu',
    'export PGPASSWORD="$BENCH_PGPASSWORD"',
    'start=$(date +%s%3N)',
    `pgbench -i -q -s ${input.scale} -I dtGvp -h ${safe(input.host, 'host')} -U ${safe(input.user, 'user')} postgres`,
    'echo "start=$start"; echo "end=$(date +%s%3N)"',
  ].join('\n');
}

/**
 * A full backup with pgBackRest alone: the command the charm's create-backup runs, less the
 * charm's `--log-level-console=debug` (the charm keeps pgBackRest's output for its backup.log).
 * `--no-backup-standby` as the charm: the rendered config asks for a standby, and a single unit
 * has none.
 */
export function rawBackupScript(input: { stanza: string }): string {
  return [
    'set -eu',
    'start=$(date +%s%3N)',
    `runuser -u postgres -- pgbackrest --stanza=${safe(input.stanza, 'stanza')} --type=full backup --no-backup-standby > /tmp/bench-raw-backup.out 2>&1 || { cat /tmp/bench-raw-backup.out >&2; exit 5; }`,
    'echo "end=$(date +%s%3N)"; echo "start=$start"',
    'echo "label=$(grep -o "new backup label = [0-9A-Z_-]*" /tmp/bench-raw-backup.out | tail -1 | cut -d" " -f5)"',
  ].join('\n');
}

/** The `... command end: completed successfully (N ms)` of pgBackRest's newest log line for `command`. */
export function lastCommandEndScript(input: { logPath: string; stanza: string; command: 'backup' | 'restore' }): string {
  const file = `${safe(input.logPath, 'log path')}/${safe(input.stanza, 'stanza')}-${input.command}.log`;
  return `grep -o "${input.command} command end: completed successfully ([0-9]*ms)" ${file} | tail -1 | grep -o "[0-9]*ms" | tr -d ms | sed "s/^/ms=/"`;
}

/**
 * When the newest `backup` command began and the `expire` that pgBackRest runs after it ended, as
 * its log stamps them (`YYYY-MM-DD HH:MM:SS.mmm`, the pod's clock, UTC).
 */
export function lastBackupSpanScript(input: { logPath: string; stanza: string }): string {
  // Each command logs to a file of its own: `<stanza>-backup.log`, `<stanza>-expire.log`.
  const file = (command: string): string => `${safe(input.logPath, 'log path')}/${safe(input.stanza, 'stanza')}-${command}.log`;
  const stamp = (command: string, what: string): string => `grep "${what}" ${file(command)} | tail -1 | cut -c1-23`;
  return [`echo "begin=$(${stamp('backup', 'INFO: backup command begin')})"`, `echo "end=$(${stamp('expire', 'INFO: expire command end')})"`].join('\n');
}

/**
 * pgBackRest restore of backup `label` into the empty directory `dir` (the charm's restore command
 * for a backup id: `--type=immediate --target-action=promote`), then PostgreSQL started on it, then
 * the first write accepted. Times: restore done, `pg_ctl start -w` returned (accepting
 * connections), first INSERT committed (promoted). The directory's previous contents (an earlier
 * raw restore) are removed first, timed apart (`removed`), so the reader can compare with the
 * charm, which removes the old PGDATA inside its restore.
 */
export function rawRestoreScript(input: { stanza: string; label: string; dir: string; hbaFile: string }): string {
  const dir = safe(input.dir, 'dir');
  const pgOptions = [
    `-c port=${RAW_PORT}`,
    "-c listen_addresses=''",
    `-c unix_socket_directories=${RAW_SOCKET_DIR}`,
    '-c archive_mode=off',
    "-c synchronous_standby_names=''",
    `-c hba_file=${safe(input.hbaFile, 'hba file')}`,
    '-c ssl=off',
    // The log to `pg_ctl -l`, not the charm's /var/log/postgresql.
    '-c logging_collector=off',
  ].join(' ');
  const psql = `runuser -u postgres -- ${PG_BIN}/psql -X -q -h ${RAW_SOCKET_DIR} -p ${RAW_PORT} -U ${RAW_USER} -d postgres -v ON_ERROR_STOP=1`;
  return [
    'set -eu',
    `mkdir -p ${RAW_SOCKET_DIR} && chown postgres:postgres ${RAW_SOCKET_DIR}`,
    `printf 'local all all trust\\n' > ${input.hbaFile} && chown postgres:postgres ${input.hbaFile}`,
    `[ ! -f ${dir}/postmaster.pid ] || runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${dir} stop -m immediate >/dev/null 2>&1 || true`,
    'r0=$(date +%s%3N)',
    `rm -rf ${dir}`,
    'echo "removed=$(( $(date +%s%3N) - r0 ))"',
    `mkdir -p ${dir} && chown postgres:postgres ${dir} && chmod 700 ${dir}`,
    'start=$(date +%s%3N)',
    `runuser -u postgres -- pgbackrest --stanza=${safe(input.stanza, 'stanza')} --pg1-path=${dir} --set=${safe(input.label, 'label')} --type=immediate --target-action=promote restore > /tmp/bench-raw-restore.out 2>&1 || { cat /tmp/bench-raw-restore.out >&2; exit 5; }`,
    'echo "restored=$(date +%s%3N)"',
    `runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${dir} -l ${dir}.log -w -t 1200 -o "${pgOptions}" start > /dev/null || { tail -20 ${dir}.log >&2; exit 6; }`,
    'echo "accepting=$(date +%s%3N)"',
    `until ${psql} -c "INSERT INTO bench_probe (tag) VALUES ('raw-restore')" >/dev/null 2>&1; do`,
    '  [ $(( $(date +%s%3N) - start )) -lt 1200000 ] || { echo "no write within 20 min" >&2; exit 7; }',
    '  sleep 0.05',
    'done',
    'echo "written=$(date +%s%3N)"; echo "start=$start"',
  ].join('\n');
}

/** Stops the raw restore's PostgreSQL (fast) so it holds no memory while the charm's side runs. */
export function rawStopScript(input: { dir: string }): string {
  const dir = safe(input.dir, 'dir');
  return `[ ! -f ${dir}/postmaster.pid ] || runuser -u postgres -- ${PG_BIN}/pg_ctl -D ${dir} stop -m fast -w >/dev/null`;
}

/** Rows of `table` in the raw restore (a check after the timing). */
export function rawCountScript(query: string): string {
  return `runuser -u postgres -- ${PG_BIN}/psql -X -A -t -h ${RAW_SOCKET_DIR} -p ${RAW_PORT} -U ${RAW_USER} -d postgres -c "${query.replace(/"/g, '\\"')}"`;
}
