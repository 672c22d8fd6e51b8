/**
 * Logs to Loki (`logging`, interface loki_push_api) without downloading anything at run time:
 * Pebble's own log forwarding (`log-targets` of type loki, canonical/pebble
 * docs/reference/log-forwarding.md; the reference charm used it through ops' LogForwarder before
 * it went back to a downloaded promtail, canonical/postgresql-k8s-operator PRs #486, #663).
 * Pebble forwards what services print, and Patroni, PostgreSQL and pgBackRest write files, so
 * three small services print those files as they grow (`tail`-like, a Python script pushed with
 * the layer: the rock and Debian both have python3). Each Loki unit's `endpoint` becomes one
 * target, labelled with the Juju topology; Pebble adds `pebble_service`.
 */
import type { Layer, LogTarget, Service } from '../pebble/types.ts';
import { DEFAULT_WORKLOAD_PATHS, logFiles, WORKLOAD_OS_GROUP, WORKLOAD_OS_USER, type WorkloadPaths } from '../workload/index.ts';
import type { JujuTopology } from './topology.ts';

export const LOG_FORWARDING_LAYER = 'log-forwarding';
/** On the storage mount: a path the pod owns on every substrate, readable by the workload user. */
export function logTailScriptPath(paths: WorkloadPaths = DEFAULT_WORKLOAD_PATHS): string {
  return `${paths.storage}/forward_logs.py`;
}

/** The services that print the log files, by what they print (the files of `logFiles()`). */
export function logTailServices(paths?: WorkloadPaths): Record<string, string> {
  const [pgbackrest, patroni, postgresql] = logFiles(paths);
  return { 'logs-pgbackrest': pgbackrest!, 'logs-patroni': patroni!, 'logs-postgresql': postgresql! };
}

/**
 * Prints every line appended to the files matching its glob arguments, re-globbing each second so
 * files PostgreSQL's log rotation creates are picked up (from their start); files present at
 * start are followed from their end, so a restart does not resend history.
 */
export const LOG_TAIL_SCRIPT = `#!/usr/bin/env python3
# Written by the postgresql-k8s charm: prints lines appended to the files matching its arguments.
import glob, os, sys, time

offsets = {}
first = True
while True:
    for pattern in sys.argv[1:]:
        for path in glob.glob(pattern):
            try:
                size = os.path.getsize(path)
            except OSError:
                continue
            if path not in offsets:
                offsets[path] = size if first else 0
            if size < offsets[path]:
                offsets[path] = 0
            if size == offsets[path]:
                continue
            with open(path, "rb") as f:
                f.seek(offsets[path])
                data = f.read()
            end = data.rfind(b"\\n") + 1
            if end == 0:
                continue
            offsets[path] += end
            sys.stdout.write(data[:end].decode("utf-8", "replace"))
    sys.stdout.flush()
    first = False
    time.sleep(1)
`;

/** The `url` of a Loki unit's `endpoint` (`{"url": "http://…/loki/api/v1/push"}`), if it is one. */
export function lokiPushUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = (JSON.parse(raw) as { url?: unknown }).url;
    if (typeof url !== 'string') return undefined;
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** One target per Loki unit: `loki/0` → `loki-0`. */
export const targetName = (lokiUnit: string): string => `${lokiUnit.replaceAll('/', '-')}`;

/**
 * The layer: the tail services (enabled while any Loki is related) and one target per Loki unit
 * in `endpoints` (unit → push URL). Targets the plan has from Loki units that are gone are kept
 * but select no service, which stops their forwarding (Pebble cannot remove a target).
 */
export function logForwardingLayer(input: {
  readonly endpoints: Readonly<Record<string, string>>;
  readonly previousTargets: readonly string[];
  readonly topology: JujuTopology;
  readonly paths?: WorkloadPaths;
}): Layer {
  const forwarding = Object.keys(input.endpoints).length > 0;
  const services: Record<string, Service> = {};
  for (const [name, pattern] of Object.entries(logTailServices(input.paths))) {
    services[name] = {
      override: 'replace',
      summary: `print ${pattern} for log forwarding`,
      command: `python3 -u ${logTailScriptPath(input.paths)} ${pattern}`,
      startup: forwarding ? 'enabled' : 'disabled',
      user: WORKLOAD_OS_USER,
      group: WORKLOAD_OS_GROUP,
    };
  }
  const labels = {
    juju_model: input.topology.model,
    juju_model_uuid: input.topology.modelUuid,
    juju_application: input.topology.application,
    juju_unit: input.topology.unit,
    juju_charm: input.topology.charmName,
  };
  const targets: Record<string, LogTarget> = {};
  for (const [unit, url] of Object.entries(input.endpoints)) {
    targets[targetName(unit)] = { override: 'replace', type: 'loki', location: url, services: ['all'], labels };
  }
  for (const name of input.previousTargets) {
    if (targets[name] === undefined) targets[name] = { override: 'merge', services: ['-all'] };
  }
  return { summary: 'log forwarding to Loki', description: 'Patroni, PostgreSQL and pgBackRest logs to the related Loki', services, 'log-targets': targets };
}
