/**
 * Builds dist/cos-assets.json, what the charm publishes to COS that is fixed per revision: the
 * alert rule files of src/prometheus_alert_rules (parsed), and the dashboards of
 * src/grafana_dashboards prepared (uid, tag) and compressed as the grafana_dashboard library
 * sends them: xz (preset 6, CRC64 check; Python's `lzma.compress` defaults) then base64. The
 * compression is liblzma's, through Debian's `xz` (single-threaded, so the stream is the one
 * Python's lzma module writes), so hooks need no compressor.
 *
 *   node --import tsx scripts/cos-assets.ts <output.json>
 */
import { execFileSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { AlertGroup, AlertRuleFile } from '../src/cos/alert-rules.ts';
import type { CosAssets } from '../src/cos/assets.ts';
import { CHARM_NAME } from '../src/cos/charm-name.ts';
import { dashboardTemplateKey, dashboardText, prepareDashboard, type PackedDashboard } from '../src/cos/dashboards.ts';
import type { JsonValue } from '../src/cos/python-json.ts';

const RULE_SUFFIXES = ['.rule', '.rules', '.yml', '.yaml'];

/** xz with Python's `lzma.compress` defaults, then base64 (cosl `LZMABase64.compress`). */
export function lzmaBase64(text: string): string {
  const compressed = execFileSync('xz', ['--format=xz', '-6', '--check=crc64', '-T1', '-c'], { input: Buffer.from(text, 'utf8') });
  return compressed.toString('base64');
}

async function alertRuleFiles(dir: string): Promise<AlertRuleFile[]> {
  const names = (await readdir(dir)).filter((name) => RULE_SUFFIXES.some((suffix) => name.endsWith(suffix))).sort();
  const files: AlertRuleFile[] = [];
  for (const name of names) {
    const parsed = parseYaml(await readFile(join(dir, name), 'utf8')) as { groups?: AlertGroup[] } | null;
    if (!parsed || !Array.isArray(parsed.groups)) throw new Error(`${name}: not a Prometheus rules file (no groups)`);
    files.push({ file: name, groups: parsed.groups });
  }
  return files;
}

async function packedDashboards(dir: string, charmName: string): Promise<PackedDashboard[]> {
  const names = (await readdir(dir)).filter((name) => /\.(json|json\.tmpl|tmpl)$/.test(name)).sort();
  const packed: PackedDashboard[] = [];
  for (const name of names) {
    const dashboard = JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, JsonValue>;
    packed.push({ key: dashboardTemplateKey(name), content: lzmaBase64(dashboardText(prepareDashboard(dashboard, charmName, name))) });
  }
  return packed;
}

export async function buildCosAssets(repoRoot: string, charmName: string = CHARM_NAME): Promise<CosAssets> {
  return {
    alertRuleFiles: await alertRuleFiles(join(repoRoot, 'src/prometheus_alert_rules')),
    dashboards: await packedDashboards(join(repoRoot, 'src/grafana_dashboards'), charmName),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = process.argv[2];
  if (output === undefined) throw new Error('usage: cos-assets.ts <output.json>');
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  await writeFile(output, JSON.stringify(await buildCosAssets(repoRoot)) + '\n');
}
