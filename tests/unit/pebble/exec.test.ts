import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExecError, PebbleApiError, PebbleTimeoutError } from '../../../src/pebble/index.ts';
import { startRealPebble, type RealPebble } from './support/real-server.ts';

/** Exec over the websocket protocol (canonical/pebble client/exec.go) against the sandbox's real Pebble server. */

let pebble: RealPebble;
beforeEach(async () => {
  pebble = await startRealPebble();
});
afterEach(async () => {
  await pebble.stop();
});

describe('exec output and exit codes', () => {
  it('collects stdout and stderr separately', async () => {
    const process = await pebble.client.exec(['/bin/sh', '-c', 'printf out; printf err >&2']);
    expect(await process.waitOutput()).toEqual({ stdout: 'out', stderr: 'err' });
    expect(await process.wait()).toBe(0); // both may be called; the result is kept
  });

  it('feeds stdin and closes it, across several websocket frames', async () => {
    const input = 'line of input\n'.repeat(25_000); // 350 kB: more than one 128 KiB chunk back
    const process = await pebble.client.exec(['/bin/cat'], { stdin: input });
    expect((await process.waitOutput()).stdout).toBe(input);
  });

  it('closes stdin at once when none is given, so readers see EOF', async () => {
    const process = await pebble.client.exec(['/bin/cat']);
    expect(await process.waitOutput()).toEqual({ stdout: '', stderr: '' });
  });

  it('merges stderr into stdout with combineStderr', async () => {
    const process = await pebble.client.exec(['/bin/sh', '-c', 'printf a; printf b >&2; printf c'], { combineStderr: true });
    const output = await process.waitOutput();
    expect(output.stderr).toBe('');
    expect([...output.stdout].sort().join('')).toBe('abc');
  });

  it('returns a non-zero exit code from wait() and throws ExecError from waitOutput()', async () => {
    const process = await pebble.client.exec(['/bin/sh', '-c', 'echo partial; echo "password=hunter2" >&2; exit 3']);
    expect(await process.wait()).toBe(3);
    const error = (await process.waitOutput().catch((e: unknown) => e)) as ExecError;
    expect(error).toBeInstanceOf(ExecError);
    expect(error.exitCode).toBe(3);
    expect(error.stdout).toBe('partial\n');
    expect(error.stderr).toBe('password=hunter2\n');
    expect(error.command).toEqual(['/bin/sh', '-c', 'echo partial; echo "password=hunter2" >&2; exit 3']);
    // What a log line would carry: no argv, no output.
    expect(error.message).toBe('command "/bin/sh" exited with code 3');
    expect(JSON.stringify({ ...error })).not.toContain('hunter2');
  });

  it('passes environment, working directory and user', async () => {
    const { client } = pebble;
    const env = await client.exec(['/bin/sh', '-c', 'echo "$GREETING"; pwd'], { environment: { GREETING: 'hi there' }, workingDir: '/tmp' });
    const [greeting, cwd] = (await env.waitOutput()).stdout.split('\n');
    expect(greeting).toBe('hi there');
    expect(cwd).toMatch(/\/tmp$/);

    const id = await client.exec(['/usr/bin/id', '-u'], { user: 'daemon', workingDir: '/tmp' });
    expect((await id.waitOutput()).stdout).toBe('1\n');
  });
});

describe('exec service context', () => {
  it('inherits environment and working directory from a plan service, overridable per call', async () => {
    const { client } = pebble;
    await client.addLayer('base', {
      services: { db: { override: 'replace', command: '/bin/sleep 30', environment: { ROLE: 'primary', PORT: '5432' }, 'working-dir': '/tmp' } },
    });
    const process = await client.exec(['/bin/sh', '-c', 'echo "$ROLE $PORT"; pwd'], { serviceContext: 'db', environment: { PORT: '6432' } });
    const [env, cwd] = (await process.waitOutput()).stdout.split('\n');
    expect(env).toBe('primary 6432');
    expect(cwd).toMatch(/\/tmp$/);

    const unknown = (await client.exec(['/bin/true'], { serviceContext: 'nope' }).catch((e: unknown) => e)) as PebbleApiError;
    expect(unknown.status).toBe(400);
    expect(unknown.message).toBe('context service "nope" not found');
  });
});

describe('exec timeouts', () => {
  it('turns the exec timeout into PebbleTimeoutError', async () => {
    const started = Date.now();
    const process = await pebble.client.exec(['/bin/sleep', '10'], { timeoutMs: 300 });
    await expect(process.wait()).rejects.toThrow(PebbleTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('exec errors', () => {
  it('reports a missing executable and a missing working directory as API errors', async () => {
    const { client } = pebble;
    const missing = (await client.exec(['no-such-binary-here']).catch((e: unknown) => e)) as PebbleApiError;
    expect(missing).toBeInstanceOf(PebbleApiError);
    expect(missing.status).toBe(400);
    expect(missing.message).toBe('cannot find executable "no-such-binary-here"');

    const noDir = (await client.exec(['/bin/true'], { workingDir: '/nowhere' }).catch((e: unknown) => e)) as PebbleApiError;
    expect(noDir.status).toBe(500);
    expect(noDir.message).toBe('cannot call exec: working directory "/nowhere" does not exist');
  });
});
