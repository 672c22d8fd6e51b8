import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, type ControllerOptions } from '../../../sandbox/controller/controller.ts';
import type { ProgressEvent } from '../../../sandbox/controller/event-log.ts';
import type { WorkloadAnswer, WorkloadProbe } from '../../../sandbox/controller/runtime.ts';
import { errorCode } from '../../../src/errors.ts';

/**
 * A tiny charm for driving the controller with real processes: its `dispatch` is a shell script
 * that records every dispatch (and the env it got) in a per-unit file and calls real hook tools
 * through the agent. Files in a control dir make chosen hooks fail or hang.
 */

export const METADATA = `
name: test-charm
containers:
  workload: {}
storage:
  data:
    type: filesystem
    location: /data
peers:
  replicas:
    interface: test_replicas
provides:
  db:
    interface: test_db
requires:
  backend:
    interface: test_db
`;

export const CONFIG = `
options:
  greeting:
    type: string
    default: hello
`;

export const ACTIONS = `
echo:
  params:
    text:
      type: string
  required: [text]
fail:
  description: always fails
set-greeting:
  params:
    value:
      type: string
  required: [value]
set-peer-app:
  params:
    value:
      type: string
  required: [value]
write-charm-file:
  params:
    value:
      type: string
  required: [value]
`;

const DISPATCH = `#!/bin/sh
unit_id=$(printf %s "$JUJU_UNIT_NAME" | tr / -)
log="$TEST_LOG_DIR/$unit_id.log"
ctl="$TEST_CONTROL_DIR"
printf 'hook\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \\
  "$JUJU_DISPATCH_PATH" "$JUJU_HOOK_NAME" "$JUJU_RELATION" "$JUJU_RELATION_ID" "$JUJU_REMOTE_UNIT" \\
  "$JUJU_REMOTE_APP" "$JUJU_DEPARTING_UNIT" "$JUJU_WORKLOAD_NAME" "$JUJU_STORAGE_ID" "$JUJU_ACTION_NAME" \\
  "$JUJU_MODEL_NAME" "$JUJU_VERSION" "$PWD" "\${PATH%%:*}" "$JUJU_CHARM_DIR" >> "$log"
case "$JUJU_DISPATCH_PATH" in
  hooks/db-relation-joined)
    relation-set -r "$JUJU_RELATION_ID" "greeting=hello from $JUJU_UNIT_NAME" || exit 1 ;;
  hooks/backend-relation-changed)
    if [ -n "$JUJU_REMOTE_UNIT" ]; then
      printf 'seen\\t%s\\n' "$(relation-get -r "$JUJU_RELATION_ID" greeting "$JUJU_REMOTE_UNIT")" >> "$log"
    fi ;;
  hooks/leader-elected)
    printf 'leader\\t%s\\n' "$(is-leader)" >> "$log" ;;
  hooks/*-storage-attached)
    printf 'location\\t%s\\t%s\\n' "$(storage-get location)" "$JUJU_STORAGE_LOCATION" >> "$log" ;;
  hooks/start)
    status-set active "started" ;;
  actions/echo)
    text=$(action-get text)
    action-set "echoed=$text"
    echo "said $text"
    echo "to stderr" >&2 ;;
  actions/fail)
    action-fail "asked to fail"
    exit 3 ;;
  actions/set-greeting)
    relation-set -r "$(relation-ids db | head -n 1)" "greeting=$(action-get value)" ;;
  actions/set-peer-app)
    relation-set -r "$(relation-ids replicas | head -n 1)" --app "state=$(action-get value)" ;;
  actions/write-charm-file)
    if [ -e "$JUJU_CHARM_DIR/mine" ]; then action-set "before=$(cat "$JUJU_CHARM_DIR/mine")"; fi
    action-get value > "$JUJU_CHARM_DIR/mine"
    action-set "after=$(cat "$JUJU_CHARM_DIR/mine")" ;;
esac
if [ -e "$ctl/run-$unit_id-$JUJU_HOOK_NAME" ]; then
  . "$ctl/run-$unit_id-$JUJU_HOOK_NAME"
fi
if [ -e "$ctl/hang-$unit_id-$JUJU_HOOK_NAME" ]; then
  echo $$ > "$ctl/hung-$unit_id-$JUJU_HOOK_NAME.pid"
  sleep 31.25
fi
if [ -e "$ctl/fail-$unit_id-$JUJU_HOOK_NAME" ]; then
  status-set blocked "about to fail"
  echo "failing on purpose" >&2
  exit 1
fi
exit 0
`;

export interface HookRecord {
  path: string;
  hook: string;
  relation: string;
  relationId: string;
  remoteUnit: string;
  remoteApp: string;
  departingUnit: string;
  workload: string;
  storage: string;
  action: string;
  model: string;
  version: string;
  cwd: string;
  firstPath: string;
  charmDir: string;
}

export interface CharmLog {
  hooks: HookRecord[];
  /** What backend-relation-changed read from the remote unit, in order. */
  seen: string[];
  leader: string[];
  /** What storage-get reported in storage-attached, and JUJU_STORAGE_LOCATION, in order. */
  locations: Array<{ storageGet: string; env: string }>;
}

/** Fake probe: containers are ready once `ready` says so, with the boot id set for them if any. */
export class FakeProbe implements WorkloadProbe {
  ready = true;
  /** `unit:container` → the boot id of its (pretend) Pebble. */
  readonly bootIds = new Map<string, string>();
  /** How many times a container was probed. */
  calls = 0;

  async probe(unit: string, container: string): Promise<WorkloadAnswer> {
    this.calls += 1;
    if (!this.ready) return { ready: false };
    const bootId = this.bootIds.get(`${unit}:${container}`);
    return bootId === undefined ? { ready: true } : { ready: true, bootId };
  }
}

export class TestBed {
  private constructor(
    readonly dir: string,
    readonly charmDir: string,
    readonly stateDir: string,
    readonly logDir: string,
    readonly controlDir: string,
  ) {}

  static async create(): Promise<TestBed> {
    const dir = await mkdtemp(path.join(tmpdir(), 'ctl-'));
    const bed = new TestBed(dir, path.join(dir, 'charm'), path.join(dir, 'state'), path.join(dir, 'logs'), path.join(dir, 'control'));
    for (const d of [bed.charmDir, bed.logDir, bed.controlDir]) await mkdir(d, { recursive: true });
    await writeFile(path.join(bed.charmDir, 'metadata.yaml'), METADATA);
    await writeFile(path.join(bed.charmDir, 'config.yaml'), CONFIG);
    await writeFile(path.join(bed.charmDir, 'actions.yaml'), ACTIONS);
    await writeFile(path.join(bed.charmDir, 'dispatch'), DISPATCH);
    await chmod(path.join(bed.charmDir, 'dispatch'), 0o755);
    return bed;
  }

  /** In the environment of every dispatch of this bed (and of what they start). */
  get marker(): string {
    return `TEST_CONTROL_DIR=${this.controlDir}`;
  }

  /** The env every test deploy passes through to dispatch. */
  get env(): Record<string, string> {
    return { TEST_LOG_DIR: this.logDir, TEST_CONTROL_DIR: this.controlDir };
  }

  open(options: Partial<ControllerOptions> = {}): Promise<Controller> {
    return Controller.open({
      stateDir: this.stateDir,
      probe: new FakeProbe(),
      retry: { initialMs: 150, maxMs: 600 },
      probeIntervalMs: 50,
      updateStatusIntervalMs: 3_600_000,
      stopGraceMs: 5_000,
      leaderSeed: '5', // a/0 leads 'a' of 2 or 3 units (leader-choice.ts)
      ...options,
    });
  }

  deploy(controller: Controller, app: string, units = 1): Promise<string[]> {
    return controller.deploy({ app, charmDir: this.charmDir, units, env: this.env });
  }

  async log(unit: string): Promise<CharmLog> {
    let text = '';
    try {
      text = await readFile(path.join(this.logDir, `${unit.replace('/', '-')}.log`), 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    const result: CharmLog = { hooks: [], seen: [], leader: [], locations: [] };
    for (const line of text.split('\n').filter(Boolean)) {
      const [kind, ...f] = line.split('\t');
      if (kind === 'seen') result.seen.push(f[0] ?? '');
      else if (kind === 'leader') result.leader.push(f[0] ?? '');
      else if (kind === 'location') result.locations.push({ storageGet: f[0] ?? '', env: f[1] ?? '' });
      else {
        const [p, hook, relation, relationId, remoteUnit, remoteApp, departingUnit, workload, storage, action, model, version, cwd, firstPath, charmDir] = f.map((x) => x ?? '');
        result.hooks.push({ path: p!, hook: hook!, relation: relation!, relationId: relationId!, remoteUnit: remoteUnit!, remoteApp: remoteApp!, departingUnit: departingUnit!, workload: workload!, storage: storage!, action: action!, model: model!, version: version!, cwd: cwd!, firstPath: firstPath!, charmDir: charmDir! });
      }
    }
    return result;
  }

  /** `hook` or `hook(remote)` labels of a unit's dispatches, in order. */
  async sequence(unit: string): Promise<string[]> {
    return (await this.log(unit)).hooks.map((h) => (h.remoteUnit ? `${h.hook}(${h.remoteUnit})` : h.hook || h.path));
  }

  async failHook(unit: string, hook: string, on = true): Promise<void> {
    const file = path.join(this.controlDir, `fail-${unit.replace('/', '-')}-${hook}`);
    if (on) await writeFile(file, '');
    else await rm(file, { force: true });
  }

  async hangHook(unit: string, hook: string, on = true): Promise<void> {
    const file = path.join(this.controlDir, `hang-${unit.replace('/', '-')}-${hook}`);
    if (on) await writeFile(file, '');
    else await rm(file, { force: true });
  }

  /** Shell lines the unit's dispatch runs (sourced) in `hook`, after its usual work; null removes them. */
  async runInHook(unit: string, hook: string, script: string | null): Promise<void> {
    const file = path.join(this.controlDir, `run-${unit.replace('/', '-')}-${hook}`);
    if (script === null) await rm(file, { force: true });
    else await writeFile(file, `${script}\n`);
  }

  /** The pid (= process group) of the dispatch that hung in `hook` last, once it has. */
  async hungPid(unit: string, hook: string, timeoutMs = 15_000): Promise<number> {
    const file = path.join(this.controlDir, `hung-${unit.replace('/', '-')}-${hook}.pid`);
    let pid = NaN;
    await waitFor(async () => {
      pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      return Number.isInteger(pid) && pid > 0;
    }, timeoutMs);
    return pid;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Resolves with the first progress event that matches (checking the past ones first). */
export function nextEvent(controller: Controller, match: (e: ProgressEvent) => boolean, timeoutMs = 15_000): Promise<ProgressEvent> {
  const past = controller.events().find(match);
  if (past) return Promise.resolve(past);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error('timed out waiting for a progress event'));
    }, timeoutMs);
    const unsubscribe = controller.subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(e);
    });
  });
}

/** Live (not zombie) processes in process group `pgid`, by scanning /proc. */
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

/**
 * SIGKILL whatever is left in process group `pgid` that carries `marker` in its environment
 * (test cleanup; the marker keeps a reused pid's group safe).
 */
export async function killGroup(pgid: number, marker: string): Promise<void> {
  for (const pid of await groupMembers(pgid)) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (!environ.split('\0').includes(marker)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/** Poll `check` until it returns true. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}
