import type { SandboxFixture } from '../../support/sandbox-fixture.ts';

/** What `sandbox s3` prints for an s3-integrator: its endpoint, credentials and CA chain. */
export interface SandboxS3 {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  caChain: string;
}

/** Start the sandbox's S3 server (`sandbox s3`, idempotent) and read what it printed. */
export async function startSandboxS3(sbx: SandboxFixture, timeoutMs = 2 * 60_000): Promise<SandboxS3> {
  const shown = (await sbx.cliOk(['s3'], timeoutMs)).stdout;
  const field = (name: string): string => {
    const match = new RegExp(`^${name}: (.+)$`, 'm').exec(shown);
    if (match?.[1] === undefined) throw new Error(`sandbox s3 printed no ${name}: ${shown}`);
    return match[1].trim();
  };
  return { endpoint: field('endpoint'), accessKey: field('access-key'), secretKey: field('secret-key'), caChain: field('tls-ca-chain') };
}
