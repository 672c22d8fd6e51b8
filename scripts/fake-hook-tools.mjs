// Shell-script stand-ins for Juju's hook tools, for runs of the packed charm outside Juju: the
// dispatch benchmark, and the build's training run that fills the V8 code cache. Each logs its
// argv to $FAKE_TOOL_LOG (when set) and prints a plausible answer. They cost about one fork+exec
// of /bin/sh, so what is measured around them is the charm.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export const TOOL_NAMES = [
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
 * Writes every tool into `toolsDir` and the charm's config defaults (from config.yaml) to
 * `configJson`. Returns the environment the tools read; put `toolsDir` first on PATH.
 */
export function writeFakeHookTools({ toolsDir, configYaml, configJson, toolLog }) {
  for (const tool of TOOL_NAMES) {
    const path = join(toolsDir, tool);
    writeFileSync(path, toolScript(tool));
    chmodSync(path, 0o755);
  }
  const options = parseYaml(readFileSync(configYaml, 'utf8')).options;
  const defaults = Object.fromEntries(
    Object.entries(options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default]),
  );
  writeFileSync(configJson, JSON.stringify(defaults) + '\n');
  return { FAKE_CONFIG_JSON: configJson, ...(toolLog ? { FAKE_TOOL_LOG: toolLog } : {}) };
}
