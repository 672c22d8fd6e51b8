#!/usr/bin/env node
// The hook-tool client, as Juju's jujuc: every tool name is a symlink to this file. It sends
// {contextId, dir, command, args} as one JSON line to the agent named by the environment, prints
// what comes back and exits with its code. Stdin is read only when the agent says the command
// needs it ("hook tool requires stdin, none supplied"), then the request is sent again.
// Dependency-free CommonJS on purpose: it starts once per tool call.
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const NO_STDIN = 'hook tool requires stdin, none supplied';

function fail(message) {
  process.stderr.write(`ERROR ${message}\n`);
  process.exit(1);
}

const command = path.basename(process.argv[1] || '');
const contextId = process.env.JUJU_CONTEXT_ID;
if (!contextId) fail('JUJU_CONTEXT_ID not set');
const address = process.env.JUJU_AGENT_SOCKET_ADDRESS;
if (!address) fail('JUJU_AGENT_SOCKET_ADDRESS not set');
const network = process.env.JUJU_AGENT_SOCKET_NETWORK || 'unix';
if (network !== 'unix') fail(`unsupported agent socket network "${network}"`);

// File arguments are read here, where the charm wrote them: the sandbox's agent runs outside
// the unit's pod and cannot see the pod's private /tmp (Juju's agent shares the charm's view).
function fileArguments(args) {
  const paths = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--file' && i + 1 < args.length) paths.push(args[i + 1]);
    else if (arg.startsWith('--file=')) paths.push(arg.slice('--file='.length));
    else {
      const match = /^[^=#]+#file=(.+)$/.exec(arg);
      if (match) paths.push(match[1]);
    }
  }
  const files = {};
  for (const file of paths) {
    if (file === '-') continue;
    const resolved = path.resolve(process.cwd(), file);
    try {
      files[resolved] = fs.readFileSync(resolved, 'utf8');
    } catch {
      // Not readable here: the agent reports the error as Juju would.
    }
  }
  return files;
}

const args = process.argv.slice(2);
const request = { contextId, dir: process.cwd(), command, args, files: fileArguments(args) };
const socket = net.createConnection(address);
socket.setEncoding('utf8');
let buffer = '';
let sentStdin = false;
let answered = false;

function handle(response) {
  if (response.error === NO_STDIN && !sentStdin) {
    sentStdin = true;
    let stdin;
    try {
      stdin = fs.readFileSync(0, 'utf8');
    } catch (error) {
      fail(`cannot read stdin: ${error.message}`);
    }
    socket.write(`${JSON.stringify({ ...request, stdin })}\n`);
    return;
  }
  answered = true;
  socket.end();
  if (typeof response.error === 'string') fail(response.error);
  process.stdout.write(response.stdout || '');
  process.stderr.write(response.stderr || '');
  process.exitCode = Number.isInteger(response.code) ? response.code : 1;
}

socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
socket.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while (!answered && (newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    let response;
    try {
      response = JSON.parse(line);
    } catch {
      fail('invalid response from the unit agent');
    }
    handle(response);
  }
});
socket.on('error', (error) => {
  if (!answered) fail(`dial unix ${address}: ${error.message}`);
});
socket.on('close', () => {
  if (!answered) fail('connection to the unit agent closed without a response');
});
