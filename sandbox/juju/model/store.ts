import { open, readFile, rename, mkdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { errorCode } from '../../../src/errors.ts';
import { ModelStoreError } from '../errors.ts';
import { type Model, ModelSchema } from './schema.ts';

/**
 * The model on disk: `<stateDir>/model.json`. Saves write a temporary file in the same
 * directory, fsync it, rename it over the old one and fsync the directory, so a crash leaves
 * either the old or the new model, never a torn one.
 */

export const MODEL_FILE = 'model.json';

export function modelPath(stateDir: string): string {
  return path.join(stateDir, MODEL_FILE);
}

export async function saveModel(stateDir: string, model: Model): Promise<void> {
  const target = modelPath(stateDir);
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(stateDir, { recursive: true });
    const file = await open(temp, 'w', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(ModelSchema.parse(model), null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
    const dir = await open(stateDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined); // best effort: the save already failed
    throw new ModelStoreError(`cannot save model to ${target}`, { cause: error });
  }
}

/** Load the model, or null when the state directory has none yet. */
export async function loadModel(stateDir: string): Promise<Model | null> {
  const target = modelPath(stateDir);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return null;
    throw new ModelStoreError(`cannot read model from ${target}`, { cause: error });
  }
  try {
    return ModelSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new ModelStoreError(`model in ${target} is not valid`, { cause: error });
  }
}

/**
 * Serialises saves of one model: each save starts after the previous one finished, so an
 * older snapshot can never be renamed over a newer one.
 */
export class ModelStore {
  private last: Promise<void> = Promise.resolve();

  constructor(readonly stateDir: string) {}

  save(model: Model): Promise<void> {
    // Snapshot now: later in-memory changes must not leak into this save.
    const snapshot = structuredClone(model);
    const next = this.last.then(() => saveModel(this.stateDir, snapshot));
    this.last = next.catch(() => undefined);
    return next;
  }

  load(): Promise<Model | null> {
    return loadModel(this.stateDir);
  }

  /** Resolves once every save requested so far has finished. */
  flush(): Promise<void> {
    return this.last;
  }
}
