/**
 * The `receive-ca-cert` requirer (interface certificate_transfer), as the reference charm's
 * src/charm.py does it on top of certificate_transfer v0: every CA a related provider offers is
 * kept in the unit secret (`ca-<remote app>`) and put in the workload's system trust store
 * (`ca-<remote app>.crt`), and removed with its relation. The leader advertises `version: "0"` in
 * our app bag, so a v1 provider answers in the v0 format, in its leader unit's bag.
 */
import { transferredCa } from '../../../lib/postgresql_tls/index.ts';
import type { HookTools, RelationRef } from '../../juju/hook-tools.ts';
import type { Logger } from '../../logging.ts';
import type { SecretStore } from '../../state/secrets.ts';

export const RECEIVE_CA_CERT_ENDPOINT = 'receive-ca-cert';
export const TRANSFER_VERSION = '0';

export type CaTransferTools = Pick<HookTools, 'relationIds' | 'relationGet' | 'relationSet' | 'relationRemoteApp' | 'relationList'>;

/** remote app → the CA it offers, for every live relation whose provider offers one. */
export async function receivedCas(
  deps: { tools: CaTransferTools; appName: string; isLeader: boolean; logger: Pick<Logger, 'debug'> },
  breaking?: RelationRef,
): Promise<Map<string, string>> {
  const refs = (await deps.tools.relationIds(RECEIVE_CA_CERT_ENDPOINT)).filter((ref) => !(breaking !== undefined && breaking.endpoint === ref.endpoint && breaking.id === ref.id));
  const cas = new Map<string, string>();
  for (const ref of refs) {
    if (deps.isLeader) {
      const ours = await deps.tools.relationGet(ref, { app: deps.appName });
      if (ours['version'] !== TRANSFER_VERSION) await deps.tools.relationSet(ref, { version: TRANSFER_VERSION }, { app: true });
    }
    const app = await deps.tools.relationRemoteApp(ref);
    if (app === undefined) continue;
    for (const unit of await deps.tools.relationList(ref)) {
      const ca = transferredCa(await deps.tools.relationGet(ref, { unit }));
      if (ca !== undefined) cas.set(app, ca);
    }
    if (!cas.has(app)) deps.logger.debug({ relation: ref.id, app }, 'the CA provider has sent no CA yet');
  }
  return cas;
}

/** Keep the unit secret's `ca-<app>` fields as received; forget those of apps that are gone. */
export async function storeReceivedCas(secrets: Pick<SecretStore, 'get' | 'set'>, cas: ReadonlyMap<string, string>, goneApps: readonly string[]): Promise<void> {
  const fields: Record<string, string | undefined> = {};
  for (const [app, ca] of cas) if ((await secrets.get('unit', `ca-${app}`)) !== ca) fields[`ca-${app}`] = ca;
  for (const app of goneApps) if (!cas.has(app)) fields[`ca-${app}`] = undefined;
  if (Object.keys(fields).length > 0) await secrets.set('unit', fields);
}
