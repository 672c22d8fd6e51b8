import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.ts';
import { LokiForwarder, lokiPushBody, targetSelects } from '../../../sandbox/pebble/logs/loki-forwarder.ts';
import { LogBuffer } from '../../../sandbox/pebble/services/log-buffer.ts';
import { emptyPlan, type Plan } from '../../../sandbox/pebble/plan/types.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

describe('the sandbox Pebble\'s Loki log forwarding', () => {
  it('selects services as Pebble does: all, names, -name and -all in order', () => {
    expect(targetSelects({ services: ['all'] }, 'a')).toBe(true);
    expect(targetSelects({ services: ['all', '-a'] }, 'a')).toBe(false);
    expect(targetSelects({ services: ['all', '-a'] }, 'b')).toBe(true);
    expect(targetSelects({ services: ['b'] }, 'a')).toBe(false);
    expect(targetSelects({ services: ['all', '-all', 'a'] }, 'a')).toBe(true);
    expect(targetSelects({ services: [] }, 'a')).toBe(false);
  });

  it('pushes one stream per service with the target labels and pebble_service', () => {
    const body = JSON.parse(
      lokiPushBody(
        [
          { time: 1n, service: 'a', message: 'one' },
          { time: 2n, service: 'b', message: 'two' },
          { time: 3n, service: 'a', message: 'three' },
        ],
        { juju_unit: 'x/0' },
      ),
    );
    expect(body).toEqual({
      streams: [
        { stream: { juju_unit: 'x/0', pebble_service: 'a' }, values: [['1', 'one'], ['3', 'three']] },
        { stream: { juju_unit: 'x/0', pebble_service: 'b' }, values: [['2', 'two']] },
      ],
    });
  });

  it('sends the selected services\' new lines to the target\'s location', async () => {
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(text));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    stops.push(() => server.close());
    const port = (server.address() as AddressInfo).port;

    const buffers = { tail: new LogBuffer('tail'), other: new LogBuffer('other') };
    const forwarder = new LokiForwarder((names) => names.map((name) => buffers[name as keyof typeof buffers]).filter((b) => b !== undefined), createLogger({ level: 'silent' }));
    stops.push(() => forwarder.stop());
    const plan: Plan = {
      ...emptyPlan(),
      services: { tail: { name: 'tail' } as Plan['services'][string], other: { name: 'other' } as Plan['services'][string] },
      logTargets: { 'loki-0': { name: 'loki-0', type: 'loki', location: `http://127.0.0.1:${port}/loki/api/v1/push`, services: ['all', '-other'], labels: { juju_unit: 'pg/0' } } },
    };
    forwarder.planChanged(plan);
    buffers.tail.write('hello\n');
    buffers.other.write('not me\n');
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(1);
    expect((received[0] as { streams: { stream: Record<string, string>; values: [string, string][] }[] }).streams).toEqual([
      { stream: { juju_unit: 'pg/0', pebble_service: 'tail' }, values: [[expect.any(String), 'hello']] },
    ]);
  });
});
