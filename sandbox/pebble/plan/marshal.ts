/**
 * The plan as GET /v1/plan prints it: yaml.v3 output of Pebble's structs — 4-space indents,
 * fields in struct order, map keys in yaml.v3's "natural" order, unset fields omitted, check
 * thresholds always shown, strings that would read back as another type double-quoted.
 */
import { Document, isScalar, parse, visit } from 'yaml';
import { formatGoDuration } from '../util/go-duration.ts';
import type { Check, Layer, LogTarget, Plan, Service } from './types.ts';

const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && /\p{Nd}/u.test(c);

/** yaml.v3's ordering of string map keys: digit runs compare numerically. */
export function yamlKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) {
      digits = isDigit(ac);
      continue;
    }
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return digits ? al : bl;
    let an = 0;
    let bn = 0;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + Number(ar[ai]);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + Number(br[bi]);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

const sortedKeys = (obj: Record<string, unknown>): string[] =>
  Object.keys(obj).sort((x, y) => (yamlKeyLess(x, y) ? -1 : yamlKeyLess(y, x) ? 1 : 0));

/** An ordered YAML mapping from [key, value] pairs, dropping unset values (omitempty). */
function fields(pairs: Array<[string, unknown]>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of pairs) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (value instanceof Map && value.size === 0) continue;
    out.set(key, value);
  }
  return out;
}

function sortedMap<V>(obj: Record<string, V> | undefined, render: (v: V) => unknown = (v) => v): Map<string, unknown> | undefined {
  if (!obj) return undefined;
  return new Map(sortedKeys(obj).map((k) => [k, render(obj[k] as V)]));
}

const duration = (ns: number | undefined): string | undefined => (ns === undefined ? undefined : formatGoDuration(ns));

function serviceNode(s: Service): Map<string, unknown> {
  return fields([
    ['summary', s.summary],
    ['description', s.description],
    ['startup', s.startup],
    ['override', s.override],
    ['command', s.command],
    ['after', s.after],
    ['before', s.before],
    ['requires', s.requires],
    ['workload', s.workload],
    ['environment', sortedMap(s.environment)],
    ['user-id', s.userId],
    ['user', s.user],
    ['group-id', s.groupId],
    ['group', s.group],
    ['working-dir', s.workingDir],
    ['on-success', s.onSuccess],
    ['on-failure', s.onFailure],
    ['on-check-failure', sortedMap(s.onCheckFailure)],
    ['backoff-delay', duration(s.backoffDelay)],
    ['backoff-factor', s.backoffFactor],
    ['backoff-limit', duration(s.backoffLimit)],
    ['kill-delay', duration(s.killDelay)],
  ]);
}

function checkNode(c: Check): Map<string, unknown> {
  return fields([
    ['override', c.override],
    ['level', c.level],
    ['startup', c.startup],
    ['period', duration(c.period)],
    ['timeout', duration(c.timeout)],
    ['threshold', c.threshold || undefined],
    ['http', c.http && fields([['url', c.http.url], ['headers', sortedMap(c.http.headers)]])],
    ['tcp', c.tcp && fields([['port', c.tcp.port || undefined], ['host', c.tcp.host]])],
    [
      'exec',
      c.exec &&
        fields([
          ['command', c.exec.command],
          ['service-context', c.exec.serviceContext],
          ['environment', sortedMap(c.exec.environment)],
          ['user-id', c.exec.userId],
          ['user', c.exec.user],
          ['group-id', c.exec.groupId],
          ['group', c.exec.group],
          ['working-dir', c.exec.workingDir],
        ]),
    ],
  ]);
}

function logTargetNode(t: LogTarget): Map<string, unknown> {
  // type, location and services have no omitempty in Pebble's struct.
  const out = new Map<string, unknown>([
    ['type', t.type ?? ''],
    ['location', t.location ?? ''],
    ['services', t.services ?? []],
  ]);
  if (t.override) out.set('override', t.override);
  if (t.labels && Object.keys(t.labels).length > 0) out.set('labels', sortedMap(t.labels));
  return out;
}

/** Would this string read back as something other than a string (so yaml.v3 double-quotes it)? */
function readsAsNonString(s: string): boolean {
  if (s === '') return true;
  try {
    return typeof parse(s, { version: '1.1' }) !== 'string';
  } catch {
    return false;
  }
}

function render(root: Map<string, unknown>): string {
  if (root.size === 0) return '{}\n';
  const doc = new Document(root);
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && readsAsNonString(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return doc.toString({ indent: 4, indentSeq: true, singleQuote: true, lineWidth: 0 });
}

function sections(
  services: Record<string, Service | null>,
  checks: Record<string, Check | null>,
  logTargets: Record<string, LogTarget | null>,
): Map<string, unknown> {
  const pick = <T>(obj: Record<string, T | null>, node: (v: T) => Map<string, unknown>) =>
    sortedMap(obj, (v) => (v === null ? null : node(v)));
  return fields([
    ['services', pick(services, serviceNode)],
    ['checks', pick(checks, checkNode)],
    ['log-targets', pick(logTargets, logTargetNode)],
  ]);
}

/** GET /v1/plan?format=yaml */
export function marshalPlan(plan: Plan): string {
  return render(sections(plan.services, plan.checks, plan.logTargets));
}

/** A layer in the same format (summary/description included), e.g. for persisting. */
export function marshalLayer(layer: Layer): string {
  const root = sections(layer.services, layer.checks, layer.logTargets);
  const head = fields([
    ['summary', layer.summary],
    ['description', layer.description],
  ]);
  return render(new Map([...head, ...root]));
}
