import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startTestPebble, type TestPebble } from './helpers.ts';

let p: TestPebble | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

async function plan(t: TestPebble): Promise<string> {
  const res = await t.get('/v1/plan?format=yaml');
  expect(res.status).toBe(200);
  return res.json.result as string;
}

async function addOk(t: TestPebble, label: string, layer: string, combine = false): Promise<void> {
  const res = await t.addLayer(label, layer, combine);
  expect(res.json).toEqual({ type: 'sync', 'status-code': 200, status: 'OK', result: true });
}

describe('layers and plan', () => {
  test('an empty plan is "{}"', async () => {
    p = await startTestPebble();
    expect(await plan(p)).toBe('{}\n');
  });

  test('merge: scalars overwrite, lists append, maps merge, sub-objects merge field-wise, first override kept', async () => {
    p = await startTestPebble();
    await addOk(
      p,
      'base',
      `summary: base layer
services:
  web:
    override: replace
    command: /bin/sleep 10
    startup: disabled
    after: [db]
    environment:
      A: "1"
      B: two
    on-check-failure:
      up: restart
    backoff-delay: 2s
  db:
    override: replace
    command: /bin/sleep 20
checks:
  up:
    override: replace
    level: ready
    period: 1m
    http:
      url: http://localhost:1/
      headers:
        X-One: a
`,
    );
    await addOk(
      p,
      'overlay',
      `services:
  web:
    override: merge
    startup: enabled
    after: [cache]
    requires: [db]
    environment:
      B: "2"
      C: three
    user-id: 0
  cache:
    override: merge
    command: /bin/sleep 30 [ --default ]
checks:
  up:
    override: merge
    threshold: 5
    http:
      headers:
        X-Two: b
`,
    );
    expect(await plan(p)).toBe(`services:
    cache:
        override: merge
        command: /bin/sleep 30 [ --default ]
    db:
        override: replace
        command: /bin/sleep 20
    web:
        startup: enabled
        override: replace
        command: /bin/sleep 10
        after:
            - db
            - cache
        requires:
            - db
        environment:
            A: "1"
            B: "2"
            C: three
        user-id: 0
        on-check-failure:
            up: restart
        backoff-delay: 2s
checks:
    up:
        override: replace
        level: ready
        period: 1m0s
        threshold: 5
        http:
            url: http://localhost:1/
            headers:
                X-One: a
                X-Two: b
`);
  });

  test('replace swaps the whole entry; unset check threshold shows as 3; keys sort naturally', async () => {
    p = await startTestPebble();
    await addOk(p, 'one', 'services:\n  svc10:\n    override: replace\n    command: a\n    summary: old\n  svc2:\n    override: replace\n    command: b\n');
    await addOk(
      p,
      'two',
      'services:\n  svc10:\n    override: replace\n    command: c\nchecks:\n  chk:\n    override: replace\n    tcp:\n      port: 5432\n',
    );
    expect(await plan(p)).toBe(`services:
    svc2:
        override: replace
        command: b
    svc10:
        override: replace
        command: c
checks:
    chk:
        override: replace
        threshold: 3
        tcp:
            port: 5432
`);
  });

  test('combine merges into the same-label layer in place; without combine the label clashes', async () => {
    p = await startTestPebble();
    await addOk(p, 'first', 'services:\n  a:\n    override: replace\n    command: /bin/sleep 1\n    environment:\n      X: "1"\n');
    await addOk(p, 'second', 'services:\n  a:\n    override: merge\n    environment:\n      X: second\n');
    // Combined into "first", which still sits below "second": second's X wins.
    await addOk(p, 'first', 'services:\n  a:\n    override: merge\n    environment:\n      X: first-again\n      Y: "2"\n', true);
    expect(await plan(p)).toContain('            X: second\n            "Y": "2"\n');
    const clash = await p.addLayer('first', 'services: {}\n');
    expect(clash.json.result.message).toBe('layer "first" already exists');
    // combine=true with a new label appends.
    await addOk(p, 'third', 'services:\n  a:\n    override: merge\n    command: /bin/true\n', true);
    expect(await plan(p)).toContain('command: /bin/true');
  });

  test('a failed add leaves the plan unchanged', async () => {
    p = await startTestPebble();
    await addOk(p, 'ok', 'services:\n  a:\n    override: replace\n    command: /bin/true\n');
    const before = await plan(p);
    const res = await p.addLayer('broken', 'services:\n  b:\n    override: replace\n    after: [a]\n');
    expect(res.json.result.message).toBe('plan must define "command" for service "b"');
    expect(await plan(p)).toBe(before);
  });

  test.each([
    ['services:\n  s:\n    override: replace\n    comand: x\n', 'cannot parse layer YAML: cannot parse layer "L" section "services": unknown field "comand" in service "s"'],
    ['services:\n  s:\n    override: replace\n    command: x\n    after: b\n', 'cannot parse layer YAML: cannot parse layer "L" section "services": "after" of "s" must be a list of strings'],
    ['foo: {}\n', 'cannot parse layer YAML: cannot parse layer "L": unknown section "foo"'],
    ['checks:\n  c:\n    override: replace\n    tcp: {port: eighty}\n', 'cannot parse layer YAML: cannot parse layer "L" section "checks": "port" of "c" must be an integer'],
    ['checks:\n  c:\n    override: replace\n    tcp: {prot: 1}\n', 'cannot parse layer YAML: cannot parse layer "L" section "checks": unknown field "prot" in tcp check "c"'],
    ['services:\n  s:\n    override: replace\n    command: x\n    backoff-factor: fast\n', 'cannot parse layer YAML: cannot parse layer "L" section "services": "backoff-factor" of "s" must be a number'],
    ['services:\n  s:\n    override: replace\n    command: x\n    backoff-delay: soon\n', 'cannot parse layer YAML: cannot parse layer "L" section "services": invalid duration "soon"'],
    ['services:\n  s:\n    override: replace\n    command: x\n    backoff-factor: 0.5\n', 'cannot parse layer YAML: plan service "s" backoff-factor must be 1.0 or greater, not 0.5'],
    ['services:\n  s:\n    override: replace\n    command: x\n    on-success: explode\n', 'cannot parse layer YAML: plan service "s" on-success action "explode" invalid'],
    ['services:\n  s:\n    override: replace\n    command: "x \'unclosed"\n', 'cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: EOF found when expecting closing quote'],
    ['services:\n  s:\n    override: replace\n    command: x [ a ] b\n', 'cannot parse layer YAML: plan service "s" command invalid: cannot parse service "s" command: cannot have any arguments after [ ... ] group'],
    ['services:\n  pebble:\n    override: replace\n    command: x\n', 'cannot parse layer YAML: cannot use reserved service name "pebble"'],
    ['services:\n  -s:\n    override: replace\n    command: x\n', 'cannot parse layer YAML: cannot use service name "-s": starting with "-" not allowed'],
    ['services:\n  s:\n', 'cannot parse layer YAML: service object cannot be null for service "s"'],
    ['checks:\n  c:\n    override: replace\n    level: meh\n    tcp: {port: 1}\n', 'cannot parse layer YAML: plan check "c" level must be "alive" or "ready"'],
    ['checks:\n  c:\n    override: replace\n    period: 0s\n    tcp: {port: 1}\n', 'cannot parse layer YAML: plan check "c" period must not be zero'],
    ['checks:\n  c:\n    override: replace\n', 'plan must specify one of "http", "tcp", or "exec" for check "c"'],
    ['checks:\n  c:\n    override: replace\n    http: {}\n', 'plan must set "url" for http check "c"'],
    ['checks:\n  c:\n    override: replace\n    exec: {command: x, service-context: nope}\n', 'plan check "c" service context specifies non-existent service "nope"'],
    ['checks:\n  c:\n    override: replace\n    tcp: {port: 1}\n    exec: {command: x}\n', 'plan must specify one of "http", "tcp", or "exec" for check "c"'],
    ['log-targets:\n  t:\n    override: replace\n    type: carrier-pigeon\n', 'cannot parse layer YAML: log target "t" has unsupported type "carrier-pigeon", must be "loki", "opentelemetry" or "syslog"'],
    ['log-targets:\n  t:\n    override: replace\n    type: loki\n    location: http://x\n    services: [ghost]\n', 'log target "t" specifies unknown service "ghost"'],
    ['services:\n  a:\n    override: replace\n    command: x\n    after: [b]\n  b:\n    override: replace\n    command: y\n    after: [a]\n', 'services in before/after loop: a, b'],
  ])('rejects %j', async (layer, message) => {
    p ??= await startTestPebble();
    const res = await p.addLayer('L', layer);
    expect(res.status).toBe(400);
    expect(res.json.result.message).toBe(message);
  });

  test('reserved label prefix', async () => {
    p = await startTestPebble();
    const res = await p.addLayer('pebble-mine', 'services: {}\n');
    expect(res.json.result.message).toBe('cannot parse layer YAML: cannot use reserved label prefix "pebble-"');
  });

  test('layers load from a layers dir and persist in the state dir across restarts', async () => {
    p = await startTestPebble();
    const layersDir = join(p.dir, 'layers');
    mkdirSync(join(layersDir, '002-extra.d'), { recursive: true });
    writeFileSync(join(layersDir, '001-base.yaml'), 'services:\n  a:\n    override: replace\n    command: /bin/sleep 1\n');
    writeFileSync(join(layersDir, '002-extra.d', '001-more.yaml'), 'services:\n  a:\n    override: merge\n    summary: from-subdir\n');
    const stateDir = join(p.dir, 'state2');
    const { startPebbleServer } = await import('../../../sandbox/pebble/server.ts');
    const socket = join(p.dir, 'second.socket');
    const first = await startPebbleServer({ socketPath: socket, stateDir, layersDir });
    const { request } = await import('./helpers.ts');
    try {
      expect((await request(socket, 'GET', '/v1/plan?format=yaml')).json.result).toContain('summary: from-subdir');
      // Inserting into the existing sub-directory group needs "inner".
      const noInner = await request(socket, 'POST', '/v1/layers', { action: 'add', label: 'base/zzz', format: 'yaml', layer: 'services: {}\n' });
      expect(noInner.status).toBe(500);
      expect(noInner.json.result.message).toBe("cannot insert sub-directory layer without 'inner' attribute set");
      const added = await request(socket, 'POST', '/v1/layers', {
        action: 'add',
        label: 'api',
        format: 'yaml',
        layer: 'services:\n  b:\n    override: replace\n    command: /bin/sleep 2\n',
      });
      expect(added.status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await startPebbleServer({ socketPath: socket, stateDir, layersDir });
    try {
      const yaml = (await request(socket, 'GET', '/v1/plan?format=yaml')).json.result as string;
      expect(yaml).toContain('summary: from-subdir');
      expect(yaml).toContain('command: /bin/sleep 2');
    } finally {
      await second.close();
    }
  });
});
