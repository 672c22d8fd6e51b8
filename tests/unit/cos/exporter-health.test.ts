import { describe, expect, it } from 'vitest';
import { exporterDownNote, exporterNote, withExporterNote } from '../../../src/handlers/reconcile/exporter-health.ts';

describe('the metrics exporter in the status', () => {
  it('notes an enabled exporter Pebble cannot keep up (backoff, error), nothing else', () => {
    expect(exporterDownNote({ startup: 'enabled', current: 'backoff' })).toBe('metrics exporter down (metrics_server: backoff)');
    expect(exporterDownNote({ startup: 'enabled', current: 'error' })).toBe('metrics exporter down (metrics_server: error)');
    expect(exporterDownNote({ startup: 'enabled', current: 'active' })).toBeUndefined();
    // Not started yet (before a replan) or meant to be off (no monitoring password yet).
    expect(exporterDownNote({ startup: 'enabled', current: 'inactive' })).toBeUndefined();
    expect(exporterDownNote({ startup: 'disabled', current: 'error' })).toBeUndefined();
    expect(exporterDownNote(undefined)).toBeUndefined();
  });

  it('follows an Active message and leaves the unit Active; any other status is left alone', () => {
    const note = 'metrics exporter down (metrics_server: backoff)';
    expect(withExporterNote({ status: 'active', message: 'Primary' }, note)).toEqual({ status: 'active', message: `Primary; ${note}` });
    expect(withExporterNote({ status: 'active', message: '' }, note)).toEqual({ status: 'active', message: note });
    expect(withExporterNote({ status: 'active', message: 'Primary' }, undefined)).toEqual({ status: 'active', message: 'Primary' });
    expect(withExporterNote({ status: 'blocked', message: 'Configuration Error' }, note)).toEqual({ status: 'blocked', message: 'Configuration Error' });
  });

  it('clears once Pebble has it running again, and a Pebble that does not answer adds nothing', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: unknown, message: string) => warnings.push(message) } as never;
    let current = 'backoff';
    const pebble = async () => ({ services: async () => [{ name: 'metrics_server', startup: 'enabled', current }] }) as never;
    expect(await exporterNote({ pebble, logger })).toBe('metrics exporter down (metrics_server: backoff)');
    current = 'active';
    expect(await exporterNote({ pebble, logger })).toBeUndefined();
    const unreachable = async () => ({ services: async () => Promise.reject(new Error('socket gone')) }) as never;
    expect(await exporterNote({ pebble: unreachable, logger })).toBeUndefined();
    expect(warnings).toEqual(['the metrics exporter is down; see its log (pebble logs metrics_server)', "cannot read the metrics exporter's state"]);
  });

  it('starts an exporter left in error again (Pebble retries only one in backoff), and notes it if that fails too', async () => {
    const restarts: string[][] = [];
    const logger = { warn: () => undefined } as never;
    let current = 'error';
    let startWorks = true;
    const pebble = async () =>
      ({
        services: async () => [{ name: 'metrics_server', startup: 'enabled', current }],
        restart: async (names: string[]) => {
          restarts.push(names);
          if (!startWorks) throw new Error('exited quickly');
          current = 'active';
          return '1';
        },
      }) as never;
    expect(await exporterNote({ pebble, logger })).toBeUndefined();
    expect(restarts).toEqual([['metrics_server']]);
    current = 'error';
    startWorks = false;
    expect(await exporterNote({ pebble, logger })).toBe('metrics exporter down (metrics_server: error)');
    expect(restarts).toHaveLength(2);
    // One in backoff is Pebble's to retry.
    current = 'backoff';
    expect(await exporterNote({ pebble, logger })).toBe('metrics exporter down (metrics_server: backoff)');
    expect(restarts).toHaveLength(2);
  });
});
