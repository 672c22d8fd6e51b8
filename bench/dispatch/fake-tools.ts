/**
 * Shell-script hook tools for the benchmark: each logs its argv and prints a plausible answer.
 * They cost about as much as a fork+exec of /bin/sh, so what the benchmark measures is the charm.
 */
export const TOOL_NAMES = [
  'config-get', 'is-leader', 'relation-ids', 'relation-list', 'relation-get', 'relation-set',
  'status-get', 'status-set', 'application-version-set', 'action-get', 'action-set', 'action-log',
  'action-fail', 'juju-log', 'secret-add', 'secret-get', 'secret-set', 'secret-ids',
  'secret-info-get', 'secret-grant', 'secret-revoke', 'secret-remove', 'network-get', 'open-port',
  'close-port', 'opened-ports', 'state-get', 'state-set', 'state-delete', 'storage-get',
  'storage-list', 'goal-state',
] as const;

const ANSWERS: Partial<Record<(typeof TOOL_NAMES)[number], string>> = {
  'config-get': 'cat "$BENCH_CONFIG_JSON"',
  'is-leader': "echo true",
  'relation-ids': "echo '[]'",
  'relation-list': "echo '[]'",
  'relation-get': "echo '{}'",
  'opened-ports': "echo '[]'",
  'state-get': "echo '{}'",
  'secret-ids': "echo '[]'",
  'status-get': `echo '{"status":"maintenance","message":"","status-data":{}}'`,
  'goal-state': `echo '{"units":{},"relations":{}}'`,
};

export function fakeToolScript(tool: (typeof TOOL_NAMES)[number]): string {
  return [
    '#!/bin/sh',
    `echo "${tool} $*" >> "$BENCH_TOOL_LOG"`,
    '[ -t 0 ] || cat > /dev/null',
    ANSWERS[tool] ?? 'true',
    '',
  ].join('\n');
}
