#!/usr/bin/env node
// The sandbox's `pebble` command for workloads, with the one subcommand they use to signal the
// charm: `pebble notify [--repeat-after=<duration>] <key> [<name=value>...]`, as
// canonical/pebble's internals/cli/cmd_notify.go has it. It POSTs
// {"action":"add","type":"custom",...} to /v1/notices on $PEBBLE_SOCKET (else
// $PEBBLE/.pebble.socket) and prints "Recorded notice <id>"; errors print "error: <message>" and
// exit 1. Dependency-free CommonJS on purpose, like jujuc.cjs: the runtime installs it as
// <state>/bin/pebble with this Node in its first line.
'use strict';

const http = require('node:http');
const path = require('node:path');

function fail(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

const USAGE = 'Usage:\n  pebble notify [notify-OPTIONS] <key> [<name=value>...]\n';

function parseNotify(args) {
  let repeatAfter = '';
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (arg === '--repeat-after') {
      if (i + 1 >= args.length) fail("expected argument for flag `--repeat-after'");
      repeatAfter = args[++i];
    } else if (arg.startsWith('--repeat-after=')) {
      repeatAfter = arg.slice('--repeat-after='.length);
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-') && arg !== '-') {
      fail(`unknown flag \`${arg.replace(/^-+/, '').split('=')[0]}'`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length === 0) fail('the required argument `<key>` was not provided');
  const [key, ...pairs] = positional;
  const data = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 0) fail(`data args must be in "name=value" format, not ${JSON.stringify(pair)}`);
    data[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const body = { action: 'add', type: 'custom', key };
  if (repeatAfter !== '') body['repeat-after'] = repeatAfter;
  if (Object.keys(data).length > 0) body.data = data;
  return body;
}

function socketPath() {
  if (process.env.PEBBLE_SOCKET) return process.env.PEBBLE_SOCKET;
  return path.join(process.env.PEBBLE || '/var/lib/pebble/default', '.pebble.socket');
}

function post(urlPath, body) {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      { socketPath: socketPath(), path: urlPath, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  if (command !== 'notify') fail(command === undefined ? 'a command is required (this sandbox pebble has: notify)' : `unknown command ${JSON.stringify(command)} (this sandbox pebble has: notify)`);
  const body = parseNotify(args);
  let text;
  try {
    text = await post('/v1/notices', body);
  } catch (error) {
    fail(`cannot connect to Pebble at ${socketPath()}: ${error.message}`);
  }
  let reply;
  try {
    reply = JSON.parse(text);
  } catch {
    fail(`cannot decode Pebble's answer: ${text.slice(0, 200)}`);
  }
  if (reply.type === 'error') fail(reply.result && reply.result.message ? reply.result.message : 'Pebble refused the notice');
  process.stdout.write(`Recorded notice ${reply.result && reply.result.id}\n`);
}

main();
