import type { ControllerClient } from '../controller/controller-client.ts';
import type { ControllerStatus } from '../controller/controller.ts';
import { connectOrStart } from '../runtime/daemon-process.ts';
import { SandboxError } from '../runtime/errors.ts';
import { defaultStateDir, SandboxPaths } from '../runtime/paths.ts';
import { requireSettings, type SandboxSettings } from '../runtime/settings.ts';
import type { Output } from './output.ts';

/** What every verb gets: where the sandbox lives, the output, and a way to its daemon. */
export class CliContext {
  readonly paths: SandboxPaths;
  private client: ControllerClient | undefined;

  constructor(
    readonly output: Output,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.paths = new SandboxPaths(defaultStateDir(env));
  }

  /** The sandbox needs root: network namespaces, bridges and mounts. */
  requireRoot(): void {
    if (process.getuid?.() !== 0) throw new SandboxError('sandbox-not-root', 'the sandbox needs root (it makes network namespaces, a bridge and mounts); run it with sudo');
  }

  settings(): Promise<SandboxSettings> {
    return requireSettings(this.paths);
  }

  /** The daemon's client; a dead daemon is started again from the state dir (with a note). */
  async daemon(): Promise<ControllerClient> {
    if (this.client) return this.client;
    this.requireRoot();
    await this.settings();
    const { client, started } = await connectOrStart(this.paths);
    if (started) this.output.note(`(the sandbox daemon was not running: started it again from ${this.paths.stateDir})`);
    this.client = client;
    return client;
  }

  /** The daemon's client when one was made (for verbs that start the daemon themselves). */
  adopt(client: ControllerClient): void {
    this.client = client;
  }

  async status(): Promise<ControllerStatus> {
    return (await this.daemon()).status();
  }

  /** The application a verb means: the one given, or the only one deployed. */
  async application(given?: string): Promise<string> {
    const apps = Object.keys((await this.status()).model.applications);
    if (given !== undefined) {
      if (!apps.includes(given)) throw new SandboxError('sandbox-usage', `application "${given}" not found`);
      return given;
    }
    if (apps.length === 1) return apps[0]!;
    throw new SandboxError('sandbox-usage', apps.length === 0 ? 'no application is deployed' : `name the application (one of ${apps.join(', ')})`);
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
