/**
 * The layer stack and the combined plan. Layers come from an optional layers directory
 * (`001-base.yaml`, `002-dir.d/001-x.yaml`) and from POST /v1/layers; unlike real Pebble the
 * stack is persisted in the state directory, so a restarted sandbox Pebble keeps its plan.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { LabelExistsError, PebbleError, PebbleStartError } from '../errors.ts';
import { combineLayers } from './combine.ts';
import { parseLayer } from './layer.ts';
import { emptyPlan, type Layer, type Plan } from './types.ts';
import { validatePlan } from './validate.ts';

export type PlanListener = (plan: Plan) => void;

const ENTRY_PATTERN = /^([0-9]{3})-([a-z](?:-?[a-z0-9]){2,})(\.yaml|\.d)$/;

function layerEntries(dir: string, allowDirs: boolean): Array<{ name: string; order: number; label: string; isDir: boolean }> {
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith('.yaml') || name.endsWith('.d'))
    .sort();
  return entries.map((name) => {
    const isDir = statSync(join(dir, name)).isDirectory();
    const match = ENTRY_PATTERN.exec(name);
    if (!match) {
      throw new PebbleStartError(
        isDir
          ? `invalid layer sub-directory name: "${name}" (must look like "123-some-label.d")`
          : `invalid layer filename: "${name}" (must look like "123-some-label.yaml")`,
      );
    }
    if (isDir && !allowDirs) throw new PebbleStartError('cannot have a layers sub-directory at this level');
    return { name, order: Number(match[1]), label: match[2] as string, isDir };
  });
}

/** Pebble's ReadLayersDir: orders are dir*1000 + file, labels "dir/file" inside sub-dirs. */
export function readLayersDir(dir: string): Layer[] {
  const layers: Layer[] = [];
  for (const top of layerEntries(dir, true)) {
    if (top.isDir) {
      for (const inner of layerEntries(join(dir, top.name), false)) {
        const text = readFileSync(join(dir, top.name, inner.name), 'utf8');
        layers.push(parseLayer(top.order * 1000 + inner.order, `${top.label}/${inner.label}`, text));
      }
    } else {
      layers.push(parseLayer(top.order * 1000, top.label, readFileSync(join(dir, top.name), 'utf8')));
    }
  }
  return layers;
}

/** Errors Pebble reports as 500 rather than 400 (sub-directory insertion without `inner`). */
export class LayerInsertError extends PebbleError {
  constructor(message: string) {
    super('pebble-layer-insert', message);
  }
}

export class PlanManager {
  private current: Plan = emptyPlan();
  private readonly listeners: PlanListener[] = [];

  constructor(private readonly statePath: string | undefined) {}

  /** Load persisted layers if any, else the layers directory. */
  load(layersDir: string | undefined): void {
    let layers: Layer[] = [];
    if (this.statePath && existsSync(this.statePath)) {
      layers = JSON.parse(readFileSync(this.statePath, 'utf8')) as Layer[];
    } else if (layersDir && existsSync(layersDir)) {
      layers = readLayersDir(layersDir);
    }
    this.current = this.buildPlan(layers);
  }

  plan(): Plan {
    return this.current;
  }

  onPlanChanged(listener: PlanListener): void {
    this.listeners.push(listener);
  }

  private buildPlan(layers: Layer[]): Plan {
    const combined = combineLayers(layers);
    const plan: Plan = {
      layers,
      services: combined.services as Plan['services'],
      checks: combined.checks as Plan['checks'],
      logTargets: combined.logTargets as Plan['logTargets'],
    };
    validatePlan(plan);
    return plan;
  }

  private commit(layers: Layer[]): void {
    const plan = this.buildPlan(layers);
    this.current = plan;
    this.persist();
    for (const listener of this.listeners) listener(plan);
  }

  private persist(): void {
    if (!this.statePath) return;
    const tmp = `${this.statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.current.layers));
    renameSync(tmp, this.statePath);
  }

  /** POST /v1/layers with combine=false. */
  appendLayer(layer: Layer, inner: boolean): void {
    if (this.current.layers.some((l) => l.label === layer.label)) throw new LabelExistsError(layer.label);
    this.commit(this.withAppended(layer, inner));
  }

  /** POST /v1/layers with combine=true: merge into the same-label layer, else append. */
  combineLayer(layer: Layer, inner: boolean): void {
    const index = this.current.layers.findIndex((l) => l.label === layer.label);
    if (index < 0) {
      this.commit(this.withAppended(layer, inner));
      return;
    }
    const found = this.current.layers[index] as Layer;
    const combined = combineLayers([found, layer]);
    combined.order = found.order;
    combined.label = found.label;
    const layers = [...this.current.layers];
    layers[index] = combined;
    this.commit(layers);
  }

  /** Where a new layer goes: after the last one, or at the end of its existing sub-directory. */
  private withAppended(layer: Layer, inner: boolean): Layer[] {
    const layers = this.current.layers;
    let newIndex = 0;
    let newOrder = 1000;
    if (layers.length > 0) {
      const [newSub] = layer.label.split('/');
      const hasSub = layer.label.includes('/');
      let matched = false;
      for (let i = layers.length - 1; i >= 0; i--) {
        const existing = layers[i] as Layer;
        if (existing.label.split('/')[0] === newSub) {
          newOrder = existing.order + 1;
          newIndex = i + 1;
          matched = true;
          break;
        }
      }
      if (!matched) {
        newIndex = layers.length;
        newOrder = (Math.floor((layers[layers.length - 1] as Layer).order / 1000) + 1) * 1000 + (hasSub ? 1 : 0);
      }
    }
    if (newIndex !== layers.length && !inner) {
      throw new LayerInsertError("cannot insert sub-directory layer without 'inner' attribute set");
    }
    const copy = [...layers];
    copy.splice(newIndex, 0, { ...layer, order: newOrder });
    return copy;
  }
}
