import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, type TestContext } from 'vitest';
import { startPebbleServer, type PebbleServer } from '../../../sandbox/pebble/server.ts';
import { createLogger } from '../../../src/logging.ts';
import { PebbleClient } from '../../../src/pebble/index.ts';
import { encodeFilesWrite } from '../../../src/pebble/multipart.ts';
import {
  loadCorpus,
  parseMultipart,
  pathWithQuery,
  type Fixture,
  type FixtureRequest,
  type HostFile,
  type StandInExpectation,
} from './support/corpus.ts';

/**
 * The stand-in against the real Pebble: each corpus request is asked of the sandbox's Pebble
 * (after the fixture's files and setup requests), and the answer must match the documented one
 * in status code, envelope fields, result shape and error kinds. Values that are specific to a
 * run (ids, times, owners) are compared by type only.
 */

interface Answer {
  status: number;
  contentType: string;
  body: Buffer;
}

function ask(socketPath: string, request: FixtureRequest, path: string, body?: Buffer, contentType?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...request.headers };
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = body.length;
    }
    const req = http.request({ socketPath, method: request.method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function send(socketPath: string, request: FixtureRequest, vars: Record<string, string>): Promise<Answer> {
  const path = pathWithQuery(request.path.replace(/\{(\w+)\}/g, (_m, name: string) => vars[name] ?? `{${name}}`), request.query);
  if (request.write !== undefined) {
    const { contents } = request.write;
    // A path without content gets no part, as in Pebble's TestWriteErrors.
    const files = request.write.files.flatMap((file) => {
      const path = String(file['path']);
      return contents[path] === undefined ? [] : [{ filename: path, data: Buffer.from(contents[path]) }];
    });
    const multipart = await encodeFilesWrite({ action: 'write', files: request.write.files }, files);
    return ask(socketPath, request, path, multipart.body, multipart.contentType);
  }
  if (request.rawBody !== undefined) return ask(socketPath, request, path, Buffer.from(request.rawBody));
  return ask(socketPath, request, path, request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body)));
}

function json(answer: Answer): Record<string, unknown> {
  return JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
}

/** Where a value sits, with array indices as [*] so fixtures can name every element at once. */
function pattern(path: string): string {
  return path.replace(/\[\d+\]/g, '[*]');
}

/** Every way `ours` differs from the documented `doc` (see StandInExpectation). */
function conform(doc: unknown, ours: unknown, path: string, rules: StandInExpectation, problems: string[]): void {
  const where = pattern(path);
  const regex = rules.patterns?.[path] ?? rules.patterns?.[where] ?? (where === 'result.message' ? rules.messagePattern : undefined);
  if (regex !== undefined) {
    if (typeof ours !== 'string' || !new RegExp(regex).test(ours)) problems.push(`${path}: ${JSON.stringify(ours)} does not match /${regex}/`);
    return;
  }
  if (rules.runSpecific?.includes(where)) {
    if (typeof ours !== typeof doc || (ours === null) !== (doc === null)) problems.push(`${path}: ${JSON.stringify(ours)} is not a ${typeof doc}`);
    return;
  }
  if (doc === null || typeof doc !== 'object') {
    if (ours !== doc) problems.push(`${path}: ${JSON.stringify(ours)}, documented ${JSON.stringify(doc)}`);
    return;
  }
  if (Array.isArray(doc)) {
    if (!Array.isArray(ours)) return void problems.push(`${path}: ${JSON.stringify(ours)} is not a list`);
    if (ours.length !== doc.length) return void problems.push(`${path}: ${ours.length} entries, documented ${doc.length}: ${JSON.stringify(ours)}`);
    doc.forEach((item, index) => conform(item, ours[index], `${path}[${index}]`, rules, problems));
    return;
  }
  if (ours === null || typeof ours !== 'object' || Array.isArray(ours)) return void problems.push(`${path}: ${JSON.stringify(ours)} is not an object`);
  const docObject = doc as Record<string, unknown>;
  const ourObject = ours as Record<string, unknown>;
  const optional = new Set(rules.optional ?? []);
  for (const key of new Set([...Object.keys(docObject), ...Object.keys(ourObject)])) {
    const child = path === '' ? key : `${path}.${key}`;
    if (!(key in ourObject)) {
      if (!optional.has(pattern(child))) problems.push(`${child}: missing (documented ${JSON.stringify(docObject[key])})`);
    } else if (!(key in docObject)) {
      if (!optional.has(pattern(child))) problems.push(`${child}: not documented (${JSON.stringify(ourObject[key])})`);
    } else {
      conform(docObject[key], ourObject[key], child, rules, problems);
    }
  }
}

async function layOut(root: string, files: readonly HostFile[]): Promise<void> {
  for (const file of files) {
    const host = join(root, file.path);
    if (file.dirMode !== undefined) {
      await mkdir(host, { recursive: true });
      await chmod(host, Number.parseInt(file.dirMode, 8));
      continue;
    }
    await mkdir(dirname(host), { recursive: true });
    await writeFile(host, file.content ?? 'x'.repeat(file.size ?? 0));
    if (file.mode !== undefined) await chmod(host, Number.parseInt(file.mode, 8));
  }
}

// Each case has its own stand-in (own directory and socket), so the cases run concurrently: many
// wait on Pebble's one-second service start delay. Each cleans up after itself when it ends.

async function startStandIn(files: readonly HostFile[], onFinished: TestContext['onTestFinished']): Promise<{ socketPath: string; server: PebbleServer }> {
  const dir = await mkdtemp(join(tmpdir(), 'pebble-contract-'));
  const root = join(dir, 'root');
  await mkdir(join(root, 'tmp'), { recursive: true });
  onFinished(async () => {
    await chmod(join(root, 'tmp'), 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  await layOut(root, files);
  const socketPath = join(dir, 'pebble.socket');
  const server = await startPebbleServer({ socketPath, stateDir: join(dir, 'state'), rootDir: root, logger: createLogger({ level: 'silent' }) });
  onFinished(() => server.close());
  return { socketPath, server };
}

async function runSetup(socketPath: string, rules: StandInExpectation): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const step of rules.setup ?? []) {
    if (step.execDrive) {
      const body = step.body as { command: string[]; 'working-dir'?: string; timeout?: string };
      const process = await new PebbleClient({ socketPath, logger: createLogger({ level: 'silent' }) }).exec(body.command, {
        ...(body['working-dir'] === undefined ? {} : { workingDir: body['working-dir'] }),
        ...(body.timeout === undefined ? {} : { timeoutMs: Number.parseInt(body.timeout, 10) }),
      });
      await process.wait().catch(() => undefined); // a timed-out exec is the point of some cases
      vars['change'] = process.changeId;
      continue;
    }
    const answer = await send(socketPath, step, vars);
    expect(answer.status, `setup ${step.method} ${step.path}: ${answer.body.toString()}`).toBeLessThan(300);
    const reply = json(answer);
    const change = reply['change'];
    const taskId = (reply['result'] as { 'task-id'?: unknown } | null | undefined)?.['task-id'];
    if (step.capture === 'task' && typeof taskId === 'string') vars['task'] = taskId;
    if (typeof change === 'string') {
      if (step.capture === 'change') vars['change'] = change;
      if (step.wait) {
        const waited = await ask(socketPath, { method: 'GET', path: '' }, `/v1/changes/${change}/wait?timeout=20s`);
        expect(waited.status, waited.body.toString()).toBe(200);
      }
    }
  }
  return vars;
}

const fixtures = loadCorpus().filter((fixture) => fixture.standIn !== undefined);

function title(fixture: Fixture): string {
  return `${fixture.name} (${fixture.source.path}: ${fixture.source.ref})`;
}

/** Asks the stand-in the fixture's request (after its files and setup) and compares the answer. */
async function check(fixture: Fixture, onFinished: TestContext['onTestFinished']): Promise<void> {
  const rules = fixture.standIn!;
  const { socketPath } = await startStandIn(rules.files ?? [], onFinished);
  const vars = await runSetup(socketPath, rules);
  const answer = await send(socketPath, fixture.request, vars);
  const problems: string[] = [];

  expect(answer.status, answer.body.toString('utf8')).toBe(fixture.response.status);
  if (fixture.response.multipart !== undefined) {
    expect(answer.contentType).toMatch(/^multipart\/form-data; boundary=/);
    const ours = parseMultipart(answer.body, answer.contentType);
    const documented = fixture.response.multipart.parts;
    expect(ours.map((part) => [part.name, part.filename ?? null])).toEqual(documented.map((part) => [part.name, part.filename ?? null]));
    documented.forEach((part, index) => {
      const our = ours[index]!;
      if (part.contentType !== undefined) expect(our.headers['content-type'], `${part.name} part Content-Type`).toBe(part.contentType);
      if (part.json !== undefined) conform(part.json, JSON.parse(our.body.toString('utf8')), '', rules, problems);
      else expect(our.body.toString('utf8')).toBe(part.content);
    });
  } else {
    expect(answer.contentType).toBe('application/json');
    let ours = json(answer);
    if (rules.filter !== undefined && Array.isArray(ours['result'])) {
      const keep = Object.entries(rules.filter);
      ours = { ...ours, result: (ours['result'] as Array<Record<string, unknown>>).filter((item) => keep.every(([k, v]) => item[k] === v)) };
    }
    conform(fixture.response.body, ours, '', rules, problems);
  }
  expect(problems).toEqual([]);
}

const cases = (list: Fixture[]) => list.map((fixture) => [title(fixture), fixture] as const);

describe('stand-in against the Pebble corpus', () => {
  // Fixtures marked nonRootOnly (a mode-000 directory) cannot happen for root, which these tests
  // and the sandbox's Pebble run as, exactly as with the real Pebble; the client side of those
  // fixtures is still checked in client.contract.test.ts.
  it.concurrent.for(cases(fixtures.filter((fixture) => !fixture.standIn!.nonRootOnly)))('%s', ([, fixture], { onTestFinished }) =>
    check(fixture, onTestFinished),
  );
});
