// Shell-script stand-ins for Juju's hook tools, for runs of the packed charm outside Juju: the
// dispatch benchmark, and the build's training run that fills the V8 code cache. Each logs its
// argv to $FAKE_TOOL_LOG (when set) and prints a plausible answer. They cost about one fork+exec
// of /bin/sh, so what is measured around them is the charm.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

const TOOL_NAMES = [
  'config-get', 'is-leader', 'relation-ids', 'relation-list', 'relation-get', 'relation-set',
  'status-get', 'status-set', 'application-version-set', 'action-get', 'action-set', 'action-log',
  'action-fail', 'juju-log', 'secret-add', 'secret-get', 'secret-set', 'secret-ids',
  'secret-info-get', 'secret-grant', 'secret-revoke', 'secret-remove', 'network-get', 'open-port',
  'close-port', 'opened-ports', 'state-get', 'state-set', 'state-delete', 'storage-get',
  'storage-list', 'goal-state',
];

const ANSWERS = {
  'config-get': 'cat "$FAKE_CONFIG_JSON"',
  'is-leader': 'echo true',
  'relation-ids': "echo '[]'",
  'relation-list': "echo '[]'",
  'relation-get': "echo '{}'",
  'opened-ports': "echo '[]'",
  'state-get': "echo '{}'",
  'secret-ids': "echo '[]'",
  'status-get': `echo '{"status":"maintenance","message":"","status-data":{}}'`,
  'goal-state': `echo '{"units":{},"relations":{}}'`,
};

function toolScript(tool) {
  return [
    '#!/bin/sh',
    `[ -z "$FAKE_TOOL_LOG" ] || echo "${tool} $*" >> "$FAKE_TOOL_LOG"`,
    '[ -t 0 ] || cat > /dev/null',
    ANSWERS[tool] ?? 'true',
    '',
  ].join('\n');
}

/**
 * The environment of one hook dispatched outside Juju: every tool written into `toolsDir` (first
 * on PATH), the charm's config defaults (from its config.yaml) behind config-get, and the JUJU_*
 * variables Juju would set for unit postgresql-k8s/0. Logging stays at warn, as a quiet hook's.
 */
export function fakeHookEnvironment({ hook, charmDir, toolsDir, configJson, toolLog }) {
  for (const tool of TOOL_NAMES) {
    const path = join(toolsDir, tool);
    writeFileSync(path, toolScript(tool));
    chmodSync(path, 0o755);
  }
  const options = parseYaml(readFileSync(join(charmDir, 'config.yaml'), 'utf8')).options;
  const defaults = Object.fromEntries(
    Object.entries(options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default]),
  );
  writeFileSync(configJson, JSON.stringify(defaults) + '\n');
  return {
    PATH: `${toolsDir}:${process.env.PATH}`,
    FAKE_CONFIG_JSON: configJson,
    ...(toolLog ? { FAKE_TOOL_LOG: toolLog } : {}),
    JUJU_DISPATCH_PATH: `hooks/${hook}`,
    JUJU_HOOK_NAME: hook,
    JUJU_CHARM_DIR: charmDir,
    JUJU_UNIT_NAME: 'postgresql-k8s/0',
    JUJU_MODEL_NAME: 'outside-juju',
    JUJU_MODEL_UUID: '6c1f2d54-1f3a-4b6e-9c8d-0a1b2c3d4e5f',
    JUJU_VERSION: '3.6.8',
    JUJU_CONTEXT_ID: `postgresql-k8s/0-${hook}-1`,
    CHARM_LOG_LEVEL: 'warn',
  };
}
