import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, type ControllerOptions } from '../../../sandbox/controller/controller.ts';
import type { ProgressEvent } from '../../../sandbox/controller/event-log.ts';
import type { WorkloadProbe } from '../../../sandbox/controller/runtime.ts';

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
esac
if [ -e "$ctl/hang-$unit_id-$JUJU_HOOK_NAME" ]; then
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
}

/** Fake probe: containers are ready once `ready` says so. */
export class FakeProbe implements WorkloadProbe {
  ready = true;
  async pebbleReady(): Promise<boolean> {
    return this.ready;
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
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const result: CharmLog = { hooks: [], seen: [], leader: [] };
    for (const line of text.split('\n').filter(Boolean)) {
      const [kind, ...f] = line.split('\t');
      if (kind === 'seen') result.seen.push(f[0] ?? '');
      else if (kind === 'leader') result.leader.push(f[0] ?? '');
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

/** Poll `check` until it returns true. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(25);
  }
}
