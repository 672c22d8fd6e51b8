/**
 * The sandbox CLI, `npm run sandbox -- <verb> ...`: Juju's verbs against a local stand-in for
 * Juju and Kubernetes that runs the real charm in per-unit pods. See sandbox/README.md.
 */
import { errorMessage, isCharmError } from '../src/errors.ts';
import { ADD_UNIT_USAGE, addUnitCommand, REMOVE_UNIT_USAGE, removeUnitCommand, RESOLVE_USAGE, resolveCommand } from './cli/commands/units.ts';
import { CHAOS_USAGE, chaosCommand } from './cli/commands/chaos.ts';
import { CONFIG_USAGE, configCommand } from './cli/commands/config.ts';
import { DEBUG_LOG_USAGE, debugLogCommand } from './cli/commands/debug-log.ts';
import { DEPLOY_USAGE, deployCommand } from './cli/commands/deploy.ts';
import { DESTROY_USAGE, destroyCommand } from './cli/commands/destroy.ts';
import { RELATE_USAGE, relateCommand, REMOVE_RELATION_USAGE, removeRelationCommand } from './cli/commands/relations.ts';
import { RUN_USAGE, runCommand } from './cli/commands/run.ts';
import { S3_USAGE, s3Command } from './cli/commands/s3.ts';
import { SSH_USAGE, sshCommand } from './cli/commands/ssh.ts';
import { STATUS_USAGE, statusCommand } from './cli/commands/status.ts';
import { TRUST_USAGE, trustCommand } from './cli/commands/trust.ts';
import { CliContext } from './cli/context.ts';
import { consoleOutput, type Output } from './cli/output.ts';

type Verb = (ctx: CliContext, argv: string[]) => Promise<number>;

const VERBS: Record<string, { run: Verb; usage: string; summary: string }> = {
  deploy: { run: deployCommand, usage: DEPLOY_USAGE, summary: 'deploy the charm (creates the sandbox on first use)' },
  status: { run: statusCommand, usage: STATUS_USAGE, summary: 'applications and units, as juju status' },
  config: { run: configCommand, usage: CONFIG_USAGE, summary: 'show or change the application config' },
  trust: { run: trustCommand, usage: TRUST_USAGE, summary: 'let an application use the Kubernetes API, as juju trust' },
  run: { run: runCommand, usage: RUN_USAGE, summary: 'run an action on a unit' },
  'add-unit': { run: addUnitCommand, usage: ADD_UNIT_USAGE, summary: 'add units (pods)' },
  'remove-unit': { run: removeUnitCommand, usage: REMOVE_UNIT_USAGE, summary: 'remove a unit and its pod' },
  resolved: { run: resolveCommand, usage: RESOLVE_USAGE, summary: 'retry a unit\'s failed hook (--no-retry: skip it), as juju resolved' },
  resolve: { run: resolveCommand, usage: RESOLVE_USAGE, summary: 'same as resolved' },
  relate: { run: relateCommand, usage: RELATE_USAGE, summary: 'integrate two applications' },
  integrate: { run: relateCommand, usage: RELATE_USAGE, summary: 'same as relate' },
  'remove-relation': { run: removeRelationCommand, usage: REMOVE_RELATION_USAGE, summary: 'remove a relation' },
  ssh: { run: sshCommand, usage: SSH_USAGE, summary: 'run a command in a unit\'s pod' },
  'debug-log': { run: debugLogCommand, usage: DEBUG_LOG_USAGE, summary: 'hook output, charm logs and workload logs' },
  chaos: { run: chaosCommand, usage: CHAOS_USAGE, summary: 'kill, freeze, partition or fill the disk of a pod, kill all pods (a node restart), take the DCS down' },
  s3: { run: s3Command, usage: S3_USAGE, summary: 'start the sandbox S3 server (s3rver over HTTPS) and print its settings; --stop stops it' },
  destroy: { run: destroyCommand, usage: DESTROY_USAGE, summary: 'remove everything the sandbox made' },
};

function help(output: Output): void {
  output.line('usage: npm run sandbox -- <verb> [options]');
  output.line('');
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  for (const [verb, { summary, usage }] of Object.entries(VERBS)) {
    output.line(`  ${verb.padEnd(width)}  ${summary}`);
    output.line(`  ${''.padEnd(width)}  ${usage}`);
  }
  output.line('');
  output.line('State: $SANDBOX_STATE_DIR, default <repo>/.sandbox. Needs root.');
}

export async function main(argv: string[], output: Output = consoleOutput): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    help(output);
    return verb === undefined ? 2 : 0;
  }
  const command = VERBS[verb];
  if (!command) {
    output.error(`unknown verb "${verb}" (see npm run sandbox -- help)`);
    return 2;
  }
  if (rest.includes('--help') && verb !== 'ssh') {
    output.line(`usage: npm run sandbox -- ${command.usage}`);
    return 0;
  }
  const ctx = new CliContext(output);
  try {
    return await command.run(ctx, rest);
  } catch (error) {
    output.error(errorMessage(error));
    return isCharmError(error, 'sandbox-usage') ? 2 : 1;
  } finally {
    ctx.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
// `status --watch` and `debug-log --tail` end on Ctrl-C; everything else ends here.
process.exit();
