import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestPebble, type TestPebble } from './helpers.ts';

let p: TestPebble;

beforeAll(async () => {
  p = await startTestPebble();
});
afterAll(async () => {
  await p?.close();
});

const expectError = (res: { status: number; json: any }, status: number, message: string, kind?: string) => {
  expect(res.status).toBe(status);
  expect(res.json.type).toBe('error');
  expect(res.json['status-code']).toBe(status);
  expect(res.json.result.message).toBe(message);
  if (kind) expect(res.json.result.kind).toBe(kind);
  else expect(res.json.result.kind).toBeUndefined();
};

describe('response envelope', () => {
  test('sync responses carry type, status-code, status text and result, as JSON', async () => {
    const res = await p.get('/v1/system-info');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(Object.keys(res.json)).toEqual(['type', 'status-code', 'status', 'result']);
    expect(res.json).toMatchObject({ type: 'sync', 'status-code': 200, status: 'OK' });
    expect(res.json.result.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(res.json.result['boot-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('async responses are 202 with the change id and a null result for service actions', async () => {
    expect((await p.addLayer('env', 'services:\n  idle:\n    override: replace\n    command: /bin/sleep 30\n')).status).toBe(200);
    const res = await p.post('/v1/services', { action: 'start', services: ['idle'] });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ type: 'async', 'status-code': 202, status: 'Accepted', change: expect.stringMatching(/^\d+$/), result: null });
    const change = await p.waitChange(res.json.change);
    expect(change).toMatchObject({ kind: 'start', summary: 'Start service "idle"', status: 'Done', ready: true });
    await p.serviceAction('stop', ['idle']);
  });

  test('unknown paths are 404 and wrong methods 405', async () => {
    expectError(await p.get('/v1/nonexistent'), 404, 'invalid API endpoint requested');
    expectError(await p.get('/v1/warnings'), 404, 'invalid API endpoint requested');
    expectError(await p.post('/v1/system-info', {}), 405, 'method "POST" not allowed');
    const put = await (await import('./helpers.ts')).request(p.socket, 'PUT', '/v1/services', '{}');
    expectError(put, 405, 'method "PUT" not allowed');
    const del = await (await import('./helpers.ts')).request(p.socket, 'DELETE', '/v1/changes/1');
    expectError(del, 405, 'method "DELETE" not allowed');
  });

  test('health is healthy without checks', async () => {
    const res = await p.get('/v1/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ type: 'sync', 'status-code': 200, status: 'OK', result: { healthy: true } });
    expectError(await p.get('/v1/health?level=foo'), 400, 'level must be "alive" or "ready"');
  });
});

describe('error catalogue (docs/pebble-api.md#error-catalogue-what-the-sandbox-reproduces)', () => {
  beforeAll(async () => {
    await p.addLayer('c9', 'services:\n  svc:\n    override: replace\n    command: /bin/sleep 30\n');
  });

  test('service action errors', async () => {
    expectError(await p.post('/v1/services', { action: 'start', services: ['foo'] }), 400, 'cannot start services: service "foo" does not exist');
    expectError(await p.post('/v1/services', { action: 'stop', services: ['foo'] }), 400, 'cannot stop services: service "foo" does not exist');
    expectError(await p.post('/v1/services', { action: 'restart', services: ['foo'] }), 400, 'cannot restart services: service "foo" does not exist');
    expectError(await p.post('/v1/services', { action: 'start', services: [] }), 400, 'must specify services for start action');
    expectError(await p.post('/v1/services', { action: 'replan', services: ['svc'] }), 400, 'replan accepts no service names');
    expectError(await p.post('/v1/services', { action: 'autostart', services: ['svc'] }), 400, 'autostart accepts no service names');
    expectError(await p.post('/v1/services', { action: 'bounce', services: ['svc'] }), 400, 'invalid action "bounce"');
    expectError(await p.post('/v1/services', '@'), 400, "cannot decode data from request body: invalid character '@' looking for beginning of value");
    expectError(await p.post('/v1/services', { action: 'autostart' }), 400, 'no default services', 'no-default-services');
    expectError(await p.get('/v1/services/svc'), 400, 'not implemented');
  });

  test('layer errors', async () => {
    expectError(await p.addLayer('c9', 'services:\n  other:\n    override: replace\n    command: x\n'), 400, 'layer "c9" already exists');
    expectError(await p.addLayer('bad', 'services:\n  s:\n    command: x\n'), 400, 'layer "bad" must define "override" for service "s"');
    expectError(await p.addLayer('bad', 'services:\n  s:\n    override: rebase\n    command: x\n'), 400, 'layer "bad" has invalid "override" value for service "s"');
    expectError(await p.addLayer('bad', 'services:\n  s:\n    override: replace\n'), 400, 'plan must define "command" for service "s"');
    const syntax = await p.addLayer('bad', 'services: [unclosed\n');
    expect(syntax.status).toBe(400);
    expect(syntax.json.result.message).toMatch(/^cannot parse layer YAML: cannot parse layer "bad": yaml: /);
    expectError(await p.get('/v1/plan'), 400, 'invalid format ""');
    expectError(await p.get('/v1/plan?format=json'), 400, 'invalid format "json"');
    expectError(await p.post('/v1/layers', { action: 'remove', label: 'x', format: 'yaml' }), 400, 'invalid action "remove"');
    expectError(await p.post('/v1/layers', { action: 'add', label: '', format: 'yaml' }), 400, 'label must be set');
    expectError(await p.post('/v1/layers', { action: 'add', label: 'x', format: 'xml' }), 400, 'invalid format "xml"');
  });

  test('file errors', async () => {
    expectError(await p.get('/v1/files?action=list&path=/nonexistent-xyz'), 404, 'stat /nonexistent-xyz: no such file or directory', 'not-found');
    expectError(await p.get('/v1/files?action=list'), 400, 'must specify path');
    expectError(await p.get('/v1/files?action=list&path=rel'), 400, 'path must be absolute, got "rel"');
    expectError(await p.get('/v1/files?action=list&path=/&itself=yes'), 400, 'itself parameter must be "true" or "false"');
    expectError(await p.get('/v1/files?action=read&path=/etc/hostname'), 400, 'must accept multipart/form-data');
    expectError(await p.get('/v1/files?action=frob'), 400, 'invalid action "frob"');
    expectError(await p.post('/v1/files', { action: 'write' }), 400, 'must use multipart with "write" action');
    expectError(await p.post('/v1/files', { action: 'chmod' }), 400, 'invalid action "chmod"');
    expectError(await p.post('/v1/files', 'x', { 'Content-Type': 'text/plain' }), 400, 'invalid media type "text/plain"');
    expectError(await p.post('/v1/files', 'x', { 'Content-Type': 'multipart/form-data; boundary=short' }), 400, 'invalid boundary "short"');
  });

  test('exec, signal, change, notice and check errors', async () => {
    expectError(await p.post('/v1/exec', { command: ['no-such-binary-xyz'] }), 400, 'cannot find executable "no-such-binary-xyz"');
    expectError(await p.post('/v1/exec', { command: [] }), 400, 'must specify command');
    expectError(await p.post('/v1/exec', { command: ['/bin/true'], 'working-dir': '/no/such/dir' }), 500, 'cannot call exec: working directory "/no/such/dir" does not exist');
    expectError(await p.post('/v1/exec', { command: ['/bin/true'], timeout: 'soon' }), 400, 'invalid timeout: time: invalid duration "soon"');
    expectError(await p.post('/v1/exec', { command: ['/bin/true'], 'service-context': 'ghost' }), 400, 'context service "ghost" not found');
    expectError(await p.post('/v1/signals', { signal: 'SIGHUP', services: ['svc'] }), 500, 'cannot send signal to "svc": service is not running');
    expectError(await p.post('/v1/signals', { signal: 'SIGHUP', services: [] }), 400, 'must specify one or more services');
    expectError(await p.get('/v1/changes/9999'), 404, 'cannot find change with id "9999"');
    expectError(await p.get('/v1/changes/9999/wait'), 404, 'cannot find change with id "9999"');
    expectError(await p.get('/v1/changes?select=some'), 400, 'select should be one of: all,in-progress,ready');
    expectError(await p.get('/v1/notices/9999'), 404, 'cannot find notice with ID "9999"');
    expectError(await p.post('/v1/checks', { action: 'start', checks: ['c'] }), 400, 'cannot start checks: cannot find checks in plan: c');
    expectError(await p.post('/v1/checks', { action: 'stop', checks: ['b', 'a'] }), 400, 'cannot stop checks: cannot find checks in plan: a, b');
    expectError(await p.post('/v1/checks', { action: 'start', checks: [] }), 400, 'must specify checks for start action');
  });

  test('wait timing out is a 504 naming the timeout; bad timeouts are 400', async () => {
    const res = await p.post('/v1/services', { action: 'start', services: ['svc'] });
    const id = res.json.change;
    expectError(await p.get(`/v1/changes/${id}/wait?timeout=200ms`), 504, 'timed out waiting for change after 200ms');
    expectError(await p.get(`/v1/changes/${id}/wait?timeout=abc`), 400, 'invalid timeout: time: invalid duration "abc"');
    await p.waitChange(id);
    expectError(await p.post(`/v1/changes/${id}`, { action: 'abort' }), 400, `cannot abort change ${id} with nothing pending`);
    expectError(await p.post(`/v1/changes/${id}`, { action: 'pause' }), 400, 'invalid action "pause"');
    await p.serviceAction('stop', ['svc']);
  });
});
