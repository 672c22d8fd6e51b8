import { SandboxError } from '../../runtime/errors.ts';
import { ensureS3Server, stopS3Server } from '../../runtime/s3-server.ts';
import { parse } from '../args.ts';
import type { CliContext } from '../context.ts';

export const S3_USAGE = 's3 [--stop]';

/**
 * `s3`: start (or find) the sandbox's S3 server and print what s3-integrator needs, e.g.
 *   npm run sandbox -- deploy s3-integrator s3
 *   npm run sandbox -- config s3 endpoint=… bucket=pg-backups s3-uri-style=path path=/cluster tls-ca-chain=…
 *   npm run sandbox -- run s3/0 sync-s3-credentials access-key=S3RVER secret-key=S3RVER
 *   npm run sandbox -- relate s3:s3-credentials postgresql-k8s:s3-parameters
 */
export async function s3Command(ctx: CliContext, argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { stop: { type: 'boolean' } });
  if (positionals.length > 0) throw new SandboxError('sandbox-usage', `usage: ${S3_USAGE}`);
  ctx.requireRoot();
  if (values.stop === true) {
    ctx.output.note((await stopS3Server(ctx.paths.stateDir)) ? 'S3 server stopped' : 'no S3 server running');
    return 0;
  }
  const s3 = await ensureS3Server({ stateDir: ctx.paths.stateDir });
  ctx.output.note(s3.started ? `S3 server started (pid ${s3.pid})` : `S3 server running (pid ${s3.pid})`);
  ctx.output.line(`endpoint: ${s3.endpoint}`);
  ctx.output.line(`access-key: ${s3.accessKey}`);
  ctx.output.line(`secret-key: ${s3.secretKey}`);
  ctx.output.line(`tls-ca-chain: ${Buffer.from(s3.caPem).toString('base64')}`);
  return 0;
}
