/**
 * Tells the charm at once when this member's role changes (promoted, demoted), so the `Primary`
 * label, the statuses and the client endpoints follow a failover or switchover within seconds
 * instead of at the next update-status.
 *
 * Patroni runs its `on_role_change` callback (patroni.yml `postgresql.callbacks`, Patroni docs
 * "YAML Configuration Settings"; called with the action, the new role and the scope) as the
 * `postgres` user. A notice recorded by `postgres` would be invisible to Juju: Pebble keeps a
 * notice with the UID of whoever recorded it and Juju's notice watcher reads as root without
 * asking for other users' notices (canonical/operator issue #2639; see
 * authorisation-rules-observer.ts). So the callback only writes the role into a FIFO, and this
 * root service reads it and records the Pebble custom notice, which Juju turns into a
 * `postgresql-pebble-custom-notice` hook. Reading a FIFO blocks until a writer comes: nothing
 * polls. The callback writes only when the FIFO exists (never creating a plain file in its
 * place) and gives up after a few seconds when no reader is there.
 */
import type { Service } from '../pebble/types.ts';
import { JUJU_PEBBLE_BIN_DIR } from './authorisation-rules-observer.ts';
import { DEFAULT_WORKLOAD_PATHS, WORKLOAD_OS_GROUP, type WorkloadPaths } from './paths.ts';

export const SERVICE_ROLE_CHANGE_NOTIFIER = 'role-change-notifier';

/** The custom notice key (Pebble wants `domain.tld/path`); its data carries `role`. */
export const ROLE_CHANGED_NOTICE = 'canonical.com/postgresql-k8s/role-changed';

/** How long the callback waits for the notifier to read before giving up (seconds). */
const CALLBACK_WRITE_TIMEOUT_SECONDS = 5;

/** The FIFO in the socket directory (per container, postgres-owned, never on the data volume). */
export function roleChangeFifo(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string {
  return `${paths.socketDir}/role-changed.fifo`;
}

function assertPlainPath(path: string): string {
  if (!/^\/[A-Za-z0-9_./-]+$/.test(path)) throw new TypeError(`the role-change FIFO path must be a plain absolute path, not ${JSON.stringify(path)}`);
  return path;
}

/**
 * The `on_role_change` command for patroni.yml. Patroni splits it with shell rules and appends
 * `on_role_change <role> <scope>`, which become `$1 $2 $3` of the inner `sh -c` (`$0` names it).
 */
export function roleChangeCallback(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string {
  const fifo = assertPlainPath(roleChangeFifo(paths));
  return `timeout ${CALLBACK_WRITE_TIMEOUT_SECONDS} /bin/sh -c '[ -p ${fifo} ] && printf "%s\\n" "$2" > ${fifo}' role-change-callback`;
}

/**
 * The notifier loop (root): (re)make the FIFO, owned by the workload group so Patroni may write,
 * then read one role per writer and record the notice. A role is a word Patroni chooses
 * (primary, replica, standby_leader, demoted…); anything else is recorded as `unknown`.
 */
export function roleChangeNotifierScript(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS, options: { pebble?: string } = {}): string {
  const fifo = assertPlainPath(roleChangeFifo(paths));
  const pebble = options.pebble ?? 'pebble';
  if (!/^[A-Za-z0-9_./-]+$/.test(pebble)) throw new TypeError(`the pebble command must be a plain name or path, not ${JSON.stringify(pebble)}`);
  const script = [
    `PATH="${JUJU_PEBBLE_BIN_DIR}:$PATH"`,
    `f=${fifo}`,
    'while :; do',
    '  if [ ! -p "$f" ]; then',
    `    rm -f "$f"; if ! { mkfifo -m 0620 "$f" && chown root:${WORKLOAD_OS_GROUP} "$f"; }; then echo "cannot make $f; trying again in 5 s"; sleep 5; continue; fi`,
    '  fi',
    '  role=',
    '  read -r role < "$f" || [ -n "$role" ] || continue',
    '  case "$role" in *[!a-z_]*|"") role=unknown ;; esac',
    `  ${pebble} notify ${ROLE_CHANGED_NOTICE} role="$role" >/dev/null || echo "cannot record the role change ($role)"`,
    'done',
  ].join('\n');
  if (script.includes("'")) throw new TypeError('the notifier script must not contain a single quote');
  return script;
}

/** The Pebble service; no `user`: the notice must be root's (see the module comment). */
export function roleChangeNotifierService(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): Service {
  return {
    override: 'replace',
    summary: 'tell the charm when Patroni changes this member\'s role',
    command: `/bin/sh -c '${roleChangeNotifierScript(paths)}'`,
    startup: 'enabled',
  };
}
