/**
 * Strict decoding of one layer section (`services`, `checks`, `log-targets`): every field must
 * be one the layer specification knows (canonical/pebble docs/reference/layer-specification.md)
 * and have the right shape, or the layer is refused with a 400, as Pebble refuses it.
 *
 * Real Pebble reports these problems with go-yaml's wording (line numbers, Go type names). The
 * charm never reads that text (it only sees an API error from addLayer, and builds its layers
 * from typed objects), so this stand-in reports the first problem in plain words instead.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { PlanFormatError } from '../errors.ts';
import { parseGoDuration } from '../util/go-duration.ts';

type FieldType = 'string' | 'int' | 'duration' | 'float' | 'strings' | 'stringMap' | { struct: StructSchema };

export interface StructSchema {
  /** What one entry is called in messages: "service", "check", "http check", … */
  what: string;
  fields: Record<string, { prop: string; type: FieldType }>;
}

const field = (prop: string, type: FieldType = 'string') => ({ prop, type });

export const SERVICE_SCHEMA: StructSchema = {
  what: 'service',
  fields: {
    summary: field('summary'),
    description: field('description'),
    startup: field('startup'),
    override: field('override'),
    command: field('command'),
    after: field('after', 'strings'),
    before: field('before', 'strings'),
    requires: field('requires', 'strings'),
    workload: field('workload'),
    environment: field('environment', 'stringMap'),
    'user-id': field('userId', 'int'),
    user: field('user'),
    'group-id': field('groupId', 'int'),
    group: field('group'),
    'working-dir': field('workingDir'),
    'on-success': field('onSuccess'),
    'on-failure': field('onFailure'),
    'on-check-failure': field('onCheckFailure', 'stringMap'),
    'backoff-delay': field('backoffDelay', 'duration'),
    'backoff-factor': field('backoffFactor', 'float'),
    'backoff-limit': field('backoffLimit', 'duration'),
    'kill-delay': field('killDelay', 'duration'),
  },
};

const HTTP_SCHEMA: StructSchema = {
  what: 'http check',
  fields: { url: field('url'), headers: field('headers', 'stringMap') },
};

const TCP_SCHEMA: StructSchema = {
  what: 'tcp check',
  fields: { port: field('port', 'int'), host: field('host') },
};

const EXEC_SCHEMA: StructSchema = {
  what: 'exec check',
  fields: {
    command: field('command'),
    'service-context': field('serviceContext'),
    environment: field('environment', 'stringMap'),
    'user-id': field('userId', 'int'),
    user: field('user'),
    'group-id': field('groupId', 'int'),
    group: field('group'),
    'working-dir': field('workingDir'),
  },
};

export const CHECK_SCHEMA: StructSchema = {
  what: 'check',
  fields: {
    override: field('override'),
    level: field('level'),
    startup: field('startup'),
    period: field('period', 'duration'),
    timeout: field('timeout', 'duration'),
    threshold: field('threshold', 'int'),
    http: field('http', { struct: HTTP_SCHEMA }),
    tcp: field('tcp', { struct: TCP_SCHEMA }),
    exec: field('exec', { struct: EXEC_SCHEMA }),
  },
};

export const LOG_TARGET_SCHEMA: StructSchema = {
  what: 'log target',
  fields: {
    type: field('type'),
    location: field('location'),
    services: field('services', 'strings'),
    override: field('override'),
    labels: field('labels', 'stringMap'),
  },
};

const EXPECTED: Record<Exclude<FieldType, object>, string> = {
  string: 'a string',
  int: 'an integer',
  duration: 'a duration string',
  float: 'a number',
  strings: 'a list of strings',
  stringMap: 'a mapping of strings',
};

class Decoder {
  constructor(
    private readonly doc: Document,
    private readonly where: string,
  ) {}

  fail(message: string): never {
    throw new PlanFormatError(`${this.where}: ${message}`);
  }

  resolve(node: unknown): Node | null {
    const resolved = isAlias(node) ? node.resolve(this.doc) : node;
    if (resolved === undefined || resolved === null) return null;
    return isScalar(resolved) && resolved.value === null ? null : (resolved as Node);
  }

  /** A scalar's text as written (`1.10` stays "1.10"), as Go decodes any scalar into a string. */
  text(node: Node): string {
    return isScalar(node) ? (node.source ?? String(node.value)) : '';
  }

  /** One field `key` of the entry `owner`. */
  value(raw: unknown, type: FieldType, key: string, owner: string): unknown {
    const node = this.resolve(raw);
    if (node === null) return undefined;
    if (typeof type === 'object') return this.struct(node, type.struct, owner);
    const wrong = (): never => this.fail(`"${key}" of "${owner}" must be ${EXPECTED[type]}`);
    switch (type) {
      case 'string': {
        if (!isScalar(node)) return wrong();
        const text = this.text(node);
        return text === '' ? undefined : text;
      }
      case 'int':
        if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) return wrong();
        return node.value;
      case 'float':
        if (!isScalar(node) || typeof node.value !== 'number') return wrong();
        return node.value;
      case 'duration': {
        if (!isScalar(node)) return wrong();
        try {
          return parseGoDuration(this.text(node));
        } catch {
          return this.fail(`invalid duration ${JSON.stringify(this.text(node))}`);
        }
      }
      case 'strings':
        if (!isSeq(node)) return wrong();
        return node.items.map((item) => {
          const element = this.resolve(item);
          if (element !== null && !isScalar(element)) return wrong();
          return element === null ? '' : this.text(element);
        });
      case 'stringMap': {
        if (!isMap(node)) return wrong();
        const out: Record<string, string> = {};
        for (const pair of node.items) {
          const key = this.resolve(pair.key);
          const value = this.resolve(pair.value);
          if (value !== null && !isScalar(value)) return wrong();
          out[key === null ? '' : this.text(key)] = value === null ? '' : this.text(value);
        }
        return out;
      }
    }
  }

  struct(node: Node, schema: StructSchema, name: string): Record<string, unknown> {
    if (!isMap(node)) return this.fail(`${schema.what} "${name}" must be a mapping`);
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const keyNode = this.resolve(pair.key);
      const key = keyNode === null ? '' : this.text(keyNode);
      const known = schema.fields[key];
      if (known === undefined) return this.fail(`unknown field "${key}" in ${schema.what} "${name}"`);
      const decoded = this.value(pair.value, known.type, key, name);
      if (decoded !== undefined) out[known.prop] = decoded;
    }
    return out;
  }
}

/**
 * Decodes a section into name → entry (null entries kept, for the validation that follows).
 * `where` prefixes every message, e.g. `cannot parse layer "L" section "services"`.
 */
export function decodeSection(
  doc: Document,
  sectionNode: Node | null,
  schema: StructSchema,
  where: string,
): Record<string, Record<string, unknown> | null> {
  const decoder = new Decoder(doc, where);
  const root = decoder.resolve(sectionNode);
  const result: Record<string, Record<string, unknown> | null> = {};
  if (root === null) return result;
  if (!isMap(root)) return decoder.fail(`must be a mapping of names to ${schema.what} entries`);
  for (const pair of root.items) {
    const keyNode = decoder.resolve(pair.key);
    const name = keyNode === null ? '' : decoder.text(keyNode);
    const value = decoder.resolve(pair.value);
    result[name] = value === null ? null : decoder.struct(value, schema, name);
  }
  return result;
}
