import { open, readFile, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { errorCode } from '../../src/errors.ts';
import { ControllerStateError } from './errors.ts';
import { UnitLifecycleSchema } from './lifecycle.ts';
import { RunningDispatchSchema } from './orphans.ts';
import { QueuedEventSchema } from './queued-event.ts';
import { SecretTriggerStateSchema } from './secret-triggers.ts';

/**
 * What the controller knows besides the model (`<stateDir>/controller.json`): where each
 * application's charm lives, the env it passes through, each unit's lifecycle and its queue,
 * and the dispatches running now (so that a controller starting after a crash can end them).
 * Saved atomically (temp file + rename) and serialised, like the model.
 */

export const CONTROLLER_STATE_FILE = 'controller.json';

const QueueItemSchema = z.object({
  id: z.number().int().positive(),
  event: QueuedEventSchema,
  attempts: z.number().int().nonnegative(),
  retryAt: z.number().nullable(),
});

export const AppSettingsSchema = z.object({
  charmDir: z.string(),
  env: z.record(z.string(), z.string()).default({}),
});
export type AppSettings = z.infer<typeof AppSettingsSchema>;

export const ControllerStateSchema = z.object({
  version: z.literal(1).default(1),
  apps: z.record(z.string(), AppSettingsSchema).default({}),
  units: z.record(z.string(), UnitLifecycleSchema).default({}),
  queues: z.record(z.string(), z.array(QueueItemSchema)).default({}),
  /** By unit: the dispatch running there now. */
  dispatches: z.record(z.string(), RunningDispatchSchema).default({}),
  /** Secret rotations and expiries in flight (secret-triggers.ts). */
  secretTriggers: SecretTriggerStateSchema.default({ rotating: {}, expiring: {} }),
});
export type ControllerState = z.infer<typeof ControllerStateSchema>;

export class ControllerStateStore {
  private last: Promise<void> = Promise.resolve();

  constructor(readonly stateDir: string) {}

  get file(): string {
    return path.join(this.stateDir, CONTROLLER_STATE_FILE);
  }

  async load(): Promise<ControllerState | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw new ControllerStateError(`cannot read ${this.file}`, { cause: error });
    }
    try {
      return ControllerStateSchema.parse(JSON.parse(text));
    } catch (error) {
      throw new ControllerStateError(`${this.file} is not valid`, { cause: error });
    }
  }

  /** Save a snapshot; saves run one after another so an older one never replaces a newer one. */
  save(state: ControllerState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const next = this.last.then(() => this.write(text));
    this.last = next.catch(() => undefined);
    return next;
  }

  flush(): Promise<void> {
    return this.last;
  }

  private async write(text: string): Promise<void> {
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(text);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined); // best effort: the save already failed
      throw new ControllerStateError(`cannot save ${this.file}`, { cause: error });
    }
  }
}
