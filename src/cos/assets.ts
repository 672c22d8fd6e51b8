/**
 * What the build fixed for COS (scripts/cos-assets.ts writes dist/cos-assets.json): the parsed
 * alert rule files and the compressed dashboards. Read by the hooks that publish to COS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CharmError } from '../errors.ts';
import type { AlertRuleFile } from './alert-rules.ts';
import type { PackedDashboard } from './dashboards.ts';

export const COS_ASSETS_FILE = 'dist/cos-assets.json';

export interface CosAssets {
  readonly alertRuleFiles: readonly AlertRuleFile[];
  readonly dashboards: readonly PackedDashboard[];
}

export class CosAssetsError extends CharmError<'cos-assets-unreadable'> {
  constructor(path: string, cause: unknown) {
    super('cos-assets-unreadable', `cannot read the charm's COS assets at ${path}; rebuild the charm (npm run build)`, { cause });
  }
}

function isCosAssets(value: unknown): value is CosAssets {
  if (typeof value !== 'object' || value === null) return false;
  const { alertRuleFiles, dashboards } = value as Record<string, unknown>;
  return (
    Array.isArray(alertRuleFiles) &&
    alertRuleFiles.every((file) => typeof file?.file === 'string' && Array.isArray(file?.groups)) &&
    Array.isArray(dashboards) &&
    dashboards.every((dashboard) => typeof dashboard?.key === 'string' && typeof dashboard?.content === 'string')
  );
}

export async function loadCosAssets(charmDir: string): Promise<CosAssets> {
  const path = join(charmDir, COS_ASSETS_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CosAssetsError(path, error);
  }
  if (!isCosAssets(parsed)) throw new CosAssetsError(path, new Error('unexpected shape'));
  return parsed;
}
