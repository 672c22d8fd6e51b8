import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPod } from '../../../sandbox/pods/index.ts';
import { PebbleProcess } from '../../../sandbox/runtime/pebble-process.ts';
import { podNameOf, SandboxPaths } from '../../../sandbox/runtime/paths.ts';

/**
 * A small test charm for the sandbox's recovery tests (not the real charm, whose lifecycle
 * handlers are still being written): its shell `dispatch` records each dispatch's start and end
 * (with its pid) and what storage-get says, in `<state>/recovery-charm/<unit>.log`, which the
 * pods see too; a `slow-<unit>-<hook>` file there makes that hook sleep for ten minutes.
 */

export const APP = 'recovery-test';
export const ARCHIVE_LOCATION = '/var/lib/pgbackrest/recovery-archive';

const METADATA = `name: ${APP}
containers:
  workload:
    mounts:
      - storage: pgdata
        location: /var/lib/postgresql/data
storage:
  pgdata:
    type: filesystem
    location: /var/lib/postgresql/data
  archive:
    type: filesystem
    location: ${ARCHIVE_LOCATION}
peers:
  peers:
    interface: recovery_test_peers
`;

const DISPATCH = `#!/bin/sh
dir="$(dirname "$JUJU_AGENT_SOCKET_ADDRESS")/recovery-charm"
mkdir -p "$dir"
unit_id=$(printf %s "$JUJU_UNIT_NAME" | tr / -)
log="$dir/$unit_id.log"
printf 'start\\t%s\\t%s\\n' "$JUJU_HOOK_NAME" "$$" >> "$log"
case "$JUJU_DISPATCH_PATH" in
  hooks/*-storage-attached)
    printf 'location\\t%s\\t%s\\n' "$JUJU_STORAGE_ID" "$(storage-get location)" >> "$log" ;;
  hooks/start|hooks/workload-pebble-ready)
    status-set active "up" ;;
esac
if [ -e "$dir/slow-$unit_id-$JUJU_HOOK_NAME" ]; then
  echo $$ > "$dir/slow-$unit_id-$JUJU_HOOK_NAME.pid"
  sleep 600
fi
printf 'end\\t%s\\t%s\\n' "$JUJU_HOOK_NAME" "$$" >> "$log"
`;

/** The charm packed as a `.charm` (a zip) in `dir`. */
export async function packRecoveryCharm(dir: string): Promise<string> {
  const charmDir = path.join(dir, 'recovery-charm');
  await mkdir(charmDir, { recursive: true });
  await writeFile(path.join(charmDir, 'metadata.yaml'), METADATA);
  await writeFile(path.join(charmDir, 'config.yaml'), 'options:\n  greeting:\n    type: string\n    default: hello\n');
  await writeFile(path.join(charmDir, 'dispatch'), DISPATCH);
  await chmod(path.join(charmDir, 'dispatch'), 0o755);
  const file = path.join(dir, `${APP}.charm`);
  await execa('zip', ['-qry', file, '.'], { cwd: charmDir });
  await rm(charmDir, { recursive: true, force: true });
  return file;
}

export interface CharmRecord {
  kind: 'start' | 'end' | 'location';
  /** The hook name (start/end) or the storage id (location). */
  subject: string;
  /** The dispatch's pid (start/end) or the location storage-get reported. */
  value: string;
}

export class RecoveryCharm {
  constructor(readonly stateDir: string) {}

  private get dir(): string {
    return path.join(this.stateDir, 'recovery-charm');
  }

  async records(unit: string): Promise<CharmRecord[]> {
    const text = await readFile(path.join(this.dir, `${podNameOf(unit)}.log`), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((line) => {
        const [kind, subject = '', value = ''] = line.split('\t');
        return { kind: kind as CharmRecord['kind'], subject, value };
      });
  }

  /** How many dispatches of `hook` started on `unit`. */
  async started(unit: string, hook: string): Promise<number> {
    return (await this.records(unit)).filter((r) => r.kind === 'start' && r.subject === hook).length;
  }

  async slow(unit: string, hook: string, on = true): Promise<void> {
    const file = path.join(this.dir, `slow-${podNameOf(unit)}-${hook}`);
    if (on) await writeFile(file, '');
    else await rm(file, { force: true });
  }

  /** The pid of the dispatch sleeping in `hook`, or null before it does. */
  async slowPid(unit: string, hook: string): Promise<number | null> {
    const pid = Number((await readFile(path.join(this.dir, `slow-${podNameOf(unit)}-${hook}.pid`), 'utf8').catch(() => '')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }
}

/** The pid of a unit's Pebble (its container `workload`), or null when it is not running. */
export async function pebblePid(stateDir: string, unit: string): Promise<number | null> {
  const pod = await loadPod(stateDir, podNameOf(unit));
  return new PebbleProcess(new SandboxPaths(stateDir), pod, 'workload').pid();
}

/** Live (not zombie) processes in process group `pgid`. */
/** A process's pid in its innermost PID namespace (the last of `NSpid` in /proc/<pid>/status), or null when it is gone. */
export async function innermostPid(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const line = status.split('\n').find((l) => l.startsWith('NSpid:'));
  const last = line?.trim().split(/\s+/).at(-1);
  return last === undefined ? null : Number(last);
}

export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (stat !== '' && fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}
