import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The contract corpus: request/response pairs taken from canonical/pebble's own docs and tests
 * (each fixture's `source` names the file, the test or handler, and the commit read), replayed
 * to our client and asked of our stand-in. See ../README.md for the fixture format.
 */

export interface Source {
  repo: string;
  commit: string;
  path: string;
  ref: string;
}

export interface FixtureRequest {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as is (not JSON-encoded), for malformed requests. */
  rawBody?: string;
  /** A files write: the `request` metadata's files and each path's content. */
  write?: { files: Array<Record<string, unknown>>; contents: Record<string, string> };
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  content?: string;
  json?: unknown;
}

export interface FixtureResponse {
  status: number;
  body?: unknown;
  multipart?: { boundary: string; parts: MultipartPart[] };
}

export interface ExpectedError {
  class: 'PebbleApiError' | 'PebbleProtocolError' | 'PathError' | 'ChangeError';
  status?: number;
  kind?: string;
  message?: string;
  messageMatches?: string;
  path?: string;
}

export interface ClientExpectation {
  call: string;
  args?: unknown[];
  returns?: unknown;
  returnsLength?: number;
  throws?: ExpectedError;
  requestBodyIncludes?: Record<string, unknown>;
  requestQuery?: Record<string, string>;
}

export interface SetupStep extends FixtureRequest {
  /** Wait for the async change to be ready. */
  wait?: boolean;
  /** Remember the change id as `{change}` (or an exec's task id as `{task}`) for the fixture's request path. */
  capture?: 'change' | 'task';
  /** Run the exec through the client (websockets and all) so its process actually runs. */
  execDrive?: boolean;
  forget?: boolean;
}

export interface HostFile {
  path: string;
  content?: string;
  size?: number;
  mode?: string;
  dirMode?: string;
}

export interface StandInExpectation {
  setup?: SetupStep[];
  files?: HostFile[];
  /** Paths whose values are specific to a run (ids, times, owners): only their type is compared. */
  runSpecific?: string[];
  /** Paths a real Pebble may leave out (omitempty) or add, depending on its options. */
  optional?: string[];
  /** Regexes the values at these paths (exact, or with [*] for every index) must match. */
  patterns?: Record<string, string>;
  /** The documented message is a Go test regex: `result.message` must match it. */
  messagePattern?: string;
  /** Keep only result entries with these field values before comparing. */
  filter?: Record<string, unknown>;
  /** Needs a non-root user (a mode-000 directory is readable by root). */
  nonRootOnly?: boolean;
}

export interface Fixture {
  file: string;
  name: string;
  source: Source;
  request: FixtureRequest;
  response: FixtureResponse;
  followUp?: { method: 'GET' | 'POST'; path: string; response: FixtureResponse };
  client?: ClientExpectation;
  standIn?: StandInExpectation;
}

const CORPUS_DIR = fileURLToPath(new URL('../corpus', import.meta.url));

export function loadCorpus(): Fixture[] {
  return readdirSync(CORPUS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as Omit<Fixture, 'file'>) }));
}

/** A multipart/form-data body laid out the way Go's mime/multipart writer does it. */
export function multipartBody(multipart: NonNullable<FixtureResponse['multipart']>): Buffer {
  const chunks: Buffer[] = [];
  for (const part of multipart.parts) {
    let head = `--${multipart.boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`));
    chunks.push(Buffer.from(part.json !== undefined ? `${JSON.stringify(part.json)}\n` : (part.content ?? ''), 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${multipart.boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export interface ParsedPart {
  headers: Record<string, string>;
  name: string | undefined;
  filename: string | undefined;
  body: Buffer;
}

/** Splits a multipart body into parts, keeping each part's headers (FormData drops them). */
export function parseMultipart(body: Buffer, contentType: string): ParsedPart[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`);
  const text = body.toString('latin1');
  const sections = text.split(`--${boundary}`);
  const parts: ParsedPart[] = [];
  for (const section of sections.slice(1)) {
    if (section.startsWith('--')) break;
    const trimmed = section.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const split = trimmed.indexOf('\r\n\r\n');
    const headerText = split === -1 ? trimmed : trimmed.slice(0, split);
    const content = split === -1 ? '' : trimmed.slice(split + 4);
    const headers: Record<string, string> = {};
    for (const line of headerText.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const disposition = headers['content-disposition'] ?? '';
    parts.push({
      headers,
      name: /\bname="([^"]*)"/.exec(disposition)?.[1],
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      body: Buffer.from(content, 'latin1'),
    });
  }
  return parts;
}

/** A request path with its fixture query (repeated keys for lists). */
export function pathWithQuery(path: string, query: FixtureRequest['query']): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  return `${path}?${params.toString()}`;
}
