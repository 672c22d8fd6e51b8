import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Layer, Service } from '../../../src/pebble/types.ts';
import { ensureBackupScheduler } from '../../../src/handlers/reconcile/backup-scheduler.ts';

/** Pebble's plan and service states for one service, and what the charm asked of it. */
function fakePebble(initial?: { service: Service; current: 'active' | 'inactive' | 'backoff' }) {
  const ops: string[] = [];
  let service = initial?.service;
  let current = initial?.current ?? 'inactive';
  const pebble = {
    plan: async () => ({ services: service === undefined ? {} : { 'backup-scheduler': service }, checks: {}, 'log-targets': {} }),
    services: async () => (service === undefined ? [] : [{ name: 'backup-scheduler', startup: service.startup ?? 'disabled', current }]),
    addLayer: async (label: string, layer: Layer) => {
      const entry = layer.services?.['backup-scheduler'];
      ops.push(`add ${label} ${entry?.override} ${entry?.startup}`);
      service = entry?.override === 'merge' ? { ...service, ...entry, override: 'replace' } : entry;
    },
    restart: async () => {
      ops.push('restart');
      current = 'active';
      return '1';
    },
    stop: async () => {
      ops.push('stop');
      current = 'inactive';
      return '2';
    },
  };
  return { ops, deps: { pebble: async () => pebble as never, logger: pino({ level: 'silent' }) } };
}

const WANTED: Service = { override: 'replace', summary: 's', command: "/bin/sh -c 'x'", startup: 'enabled', user: 'postgres' };

describe('the backup-scheduler service', () => {
  it('is added in its own layer and started with restart (no replan), then left alone', async () => {
    const { ops, deps } = fakePebble();
    expect(await ensureBackupScheduler(deps, WANTED, 'full')).toBe(true);
    expect(await ensureBackupScheduler(deps, WANTED, 'full')).toBe(false);
    expect(ops).toEqual(['add backup-scheduler replace enabled', 'restart']);
  });

  it('is replaced and restarted when the schedule changes, and restarted when it is not running', async () => {
    const { ops, deps } = fakePebble({ service: WANTED, current: 'backoff' });
    await ensureBackupScheduler(deps, WANTED, 'full');
    await ensureBackupScheduler(deps, { ...WANTED, command: "/bin/sh -c 'y'" }, 'full');
    expect(ops).toEqual(['restart', 'add backup-scheduler replace enabled', 'restart']);
  });

  it('is disabled and stopped when there is no schedule, once', async () => {
    const { ops, deps } = fakePebble({ service: WANTED, current: 'active' });
    expect(await ensureBackupScheduler(deps, undefined, 'no schedule')).toBe(true);
    expect(await ensureBackupScheduler(deps, undefined, 'no schedule')).toBe(false);
    expect(ops).toEqual(['add backup-scheduler merge disabled', 'stop']);
    expect(await ensureBackupScheduler(fakePebble().deps, undefined, 'never had one')).toBe(false);
  });
});
