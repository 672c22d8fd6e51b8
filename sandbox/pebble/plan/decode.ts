/**
 * Strict decoding of one layer section, reporting problems the way Pebble's yaml.v3 decoder
 * does: unknown fields and type mismatches are collected as "unmarshal errors" with line
 * numbers (counted in the section re-marshalled on its own, as Pebble does), while duration and
 * float fields fail immediately with their own message.
 */
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { PlanFormatError } from '../errors.ts';
import { parseGoDuration } from '../util/go-duration.ts';

type FieldType =
  | { kind: 'string'; goType: string }
  | { kind: 'int' }
  | { kind: 'duration' }
  | { kind: 'float' }
  | { kind: 'strings' }
  | { kind: 'stringMap'; goType: string }
  | { kind: 'struct'; schema: StructSchema };

export interface StructSchema {
  goType: string;
  fields: Record<string, { prop: string; type: FieldType }>;
}

const str = (goType = 'string'): FieldType => ({ kind: 'string', goType });
const INT: FieldType = { kind: 'int' };
const DURATION: FieldType = { kind: 'duration' };
const STRINGS: FieldType = { kind: 'strings' };
const ENV: FieldType = { kind: 'stringMap', goType: 'map[string]string' };

export const SERVICE_SCHEMA: StructSchema = {
  goType: 'plan.Service',
  fields: {
    summary: { prop: 'summary', type: str() },
    description: { prop: 'description', type: str() },
    startup: { prop: 'startup', type: str('plan.ServiceStartup') },
    override: { prop: 'override', type: str('plan.Override') },
    command: { prop: 'command', type: str() },
    after: { prop: 'after', type: STRINGS },
    before: { prop: 'before', type: STRINGS },
    requires: { prop: 'requires', type: STRINGS },
    workload: { prop: 'workload', type: str() },
    environment: { prop: 'environment', type: ENV },
    'user-id': { prop: 'userId', type: INT },
    user: { prop: 'user', type: str() },
    'group-id': { prop: 'groupId', type: INT },
    group: { prop: 'group', type: str() },
    'working-dir': { prop: 'workingDir', type: str() },
    'on-success': { prop: 'onSuccess', type: str('plan.ServiceAction') },
    'on-failure': { prop: 'onFailure', type: str('plan.ServiceAction') },
    'on-check-failure': { prop: 'onCheckFailure', type: { kind: 'stringMap', goType: 'map[string]plan.ServiceAction' } },
    'backoff-delay': { prop: 'backoffDelay', type: DURATION },
    'backoff-factor': { prop: 'backoffFactor', type: { kind: 'float' } },
    'backoff-limit': { prop: 'backoffLimit', type: DURATION },
    'kill-delay': { prop: 'killDelay', type: DURATION },
  },
};

const HTTP_SCHEMA: StructSchema = {
  goType: 'plan.HTTPCheck',
  fields: { url: { prop: 'url', type: str() }, headers: { prop: 'headers', type: ENV } },
};

const TCP_SCHEMA: StructSchema = {
  goType: 'plan.TCPCheck',
  fields: { port: { prop: 'port', type: INT }, host: { prop: 'host', type: str() } },
};

const EXEC_SCHEMA: StructSchema = {
  goType: 'plan.ExecCheck',
  fields: {
    command: { prop: 'command', type: str() },
    'service-context': { prop: 'serviceContext', type: str() },
    environment: { prop: 'environment', type: ENV },
    'user-id': { prop: 'userId', type: INT },
    user: { prop: 'user', type: str() },
    'group-id': { prop: 'groupId', type: INT },
    group: { prop: 'group', type: str() },
    'working-dir': { prop: 'workingDir', type: str() },
  },
};

export const CHECK_SCHEMA: StructSchema = {
  goType: 'plan.Check',
  fields: {
    override: { prop: 'override', type: str('plan.Override') },
    level: { prop: 'level', type: str('plan.CheckLevel') },
    startup: { prop: 'startup', type: str('plan.CheckStartup') },
    period: { prop: 'period', type: DURATION },
    timeout: { prop: 'timeout', type: DURATION },
    threshold: { prop: 'threshold', type: INT },
    http: { prop: 'http', type: { kind: 'struct', schema: HTTP_SCHEMA } },
    tcp: { prop: 'tcp', type: { kind: 'struct', schema: TCP_SCHEMA } },
    exec: { prop: 'exec', type: { kind: 'struct', schema: EXEC_SCHEMA } },
  },
};

export const LOG_TARGET_SCHEMA: StructSchema = {
  goType: 'plan.LogTarget',
  fields: {
    type: { prop: 'type', type: str('plan.LogTargetType') },
    location: { prop: 'location', type: str() },
    services: { prop: 'services', type: STRINGS },
    override: { prop: 'override', type: str('plan.Override') },
    labels: { prop: 'labels', type: ENV },
  },
};

/** A "custom unmarshaler" failure: aborts the whole section decode with this message. */
class FatalDecodeError extends Error {}

class SectionDecoder {
  readonly errors: string[] = [];

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private line(node: Node): number {
    return this.lines.linePos(node.range?.[0] ?? 0).line;
  }

  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null) ?? null;
  }

  isNull(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  private tagOf(node: Node): string {
    if (isMap(node)) return '!!map';
    if (isSeq(node)) return '!!seq';
    const v = isScalar(node) ? node.value : null;
    if (v === null) return '!!null';
    if (typeof v === 'boolean') return '!!bool';
    if (typeof v === 'number') return Number.isInteger(v) && !/[.eE]/.test(this.text(node)) ? '!!int' : '!!float';
    return '!!str';
  }

  text(node: Node): string {
    if (!isScalar(node)) return '';
    return node.source ?? String(node.value ?? '');
  }

  typeError(node: Node, goType: string): void {
    const tag = this.tagOf(node);
    let value = '';
    if (tag !== '!!seq' && tag !== '!!map') {
      const text = this.text(node);
      value = text.length > 10 ? ` \`${text.slice(0, 7)}...\`` : ` \`${text}\``;
    }
    this.errors.push(`line ${this.line(node)}: cannot unmarshal ${tag}${value} into ${goType}`);
  }

  /** Decode one value; returns undefined for null/invalid. */
  value(raw: unknown, type: FieldType): unknown {
    const node = this.resolve(raw);
    if (this.isNull(node) || node === null) return undefined;
    switch (type.kind) {
      case 'string':
        if (!isScalar(node)) return this.typeError(node, type.goType);
        return this.text(node) === '' ? undefined : this.text(node);
      case 'int': {
        const tag = this.tagOf(node);
        if (tag === '!!int' || tag === '!!float') return Math.trunc(Number((node as { value: unknown }).value));
        return this.typeError(node, 'int');
      }
      case 'duration': {
        if (!isScalar(node)) throw new FatalDecodeError('duration must be a YAML string');
        try {
          return parseGoDuration(this.text(node));
        } catch {
          throw new FatalDecodeError(`invalid duration ${JSON.stringify(this.text(node))}`);
        }
      }
      case 'float': {
        if (!isScalar(node)) throw new FatalDecodeError('value must be a YAML number');
        const text = this.text(node);
        const n = Number(text);
        if (text.trim() === '' || Number.isNaN(n)) {
          throw new FatalDecodeError(`invalid floating-point number ${JSON.stringify(text)}`);
        }
        return n;
      }
      case 'strings': {
        if (!isSeq(node)) return this.typeError(node, '[]string');
        const out: string[] = [];
        for (const item of node.items) {
          const decoded = this.value(item, str());
          out.push(typeof decoded === 'string' ? decoded : '');
        }
        return out;
      }
      case 'stringMap': {
        if (!isMap(node)) return this.typeError(node, type.goType);
        const out: Record<string, string> = {};
        const elemType = type.goType.replace(/^map\[string\]/, '');
        for (const pair of node.items) {
          const key = this.resolve(pair.key);
          const decoded = this.value(pair.value, str(elemType));
          out[key ? this.text(key) : ''] = typeof decoded === 'string' ? decoded : '';
        }
        return out;
      }
      case 'struct':
        return this.struct(node, type.schema);
    }
  }

  struct(node: Node, schema: StructSchema): Record<string, unknown> | undefined {
    if (!isMap(node)) {
      this.typeError(node, schema.goType);
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key);
      const key = keyNode ? this.text(keyNode) : '';
      const field = schema.fields[key];
      if (!field) {
        this.errors.push(`line ${keyNode ? this.line(keyNode) : 0}: field ${key} not found in type ${schema.goType}`);
        continue;
      }
      const decoded = this.value(pair.value, field.type);
      if (decoded !== undefined) out[field.prop] = decoded;
    }
    return out;
  }
}

/**
 * Decode a `services`/`checks`/`log-targets` section node into name → entry (null entries
 * kept). `where` is the prefix Pebble uses: `cannot parse layer "L" section "services"`.
 */
export function decodeSection(
  sectionNode: Node | null,
  schema: StructSchema,
  mapGoType: string,
  where: string,
): Record<string, Record<string, unknown> | null> {
  // Pebble re-marshals the section before decoding it, so line numbers are relative to it.
  const standalone = new Document();
  standalone.contents = sectionNode;
  const lines = new LineCounter();
  const doc = parseDocument(standalone.toString({ indent: 4 }), { lineCounter: lines, uniqueKeys: false });
  const decoder = new SectionDecoder(doc, lines);
  const root = decoder.resolve(doc.contents);
  const result: Record<string, Record<string, unknown> | null> = {};
  try {
    if (root !== null && !decoder.isNull(root)) {
      if (!isMap(root)) decoder.typeError(root, mapGoType);
      else {
        for (const pair of root.items) {
          const keyNode = decoder.resolve(pair.key);
          const name = keyNode ? decoder.text(keyNode) : '';
          const valueNode = decoder.resolve(pair.value);
          result[name] = decoder.isNull(valueNode) || valueNode === null ? null : (decoder.struct(valueNode, schema) ?? {});
        }
      }
    }
  } catch (err) {
    if (err instanceof FatalDecodeError) throw new PlanFormatError(`${where}: ${err.message}`);
    throw err;
  }
  if (decoder.errors.length > 0) {
    throw new PlanFormatError(`${where}: yaml: unmarshal errors:\n  ${decoder.errors.join('\n  ')}`);
  }
  return result;
}
