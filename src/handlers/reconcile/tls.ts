/**
 * TLS in the reconcile (before patroni.yml, which turns `ssl`, `hostssl` rules and the REST API's
 * https on once key, CA and certificate are stored and in the workload):
 *
 *   certificates     key and CSR in the unit secret, the CSR in our bag, the provider's checked
 *                    certificate stored, renewal near expiry (src/relations/tls/certificates.ts)
 *   workload files   key/CA/certificate pushed when they changed; on a change to a running
 *                    Patroni, SIGHUP: PostgreSQL and Patroni's REST API re-read their certificate
 *                    on reload, so a renewal needs no restart and no switchover
 *   receive-ca-cert  received CAs in the unit secret and the system trust store
 *
 * A provider's bad answer is reported (Blocked) and the working state kept; the pipeline goes on.
 */
import type { RelationRef } from '../../juju/hook-tools.ts';
import { RECEIVE_CA_CERT_ENDPOINT, receivedCas, storeReceivedCas } from '../../relations/tls/ca-transfer.ts';
import { CERTIFICATES_ENDPOINT, convergeCertificates, readStoredTls } from '../../relations/tls/certificates.ts';
import { pushTlsFiles, pushTransferredCas } from '../../relations/tls/workload-files.ts';
import { SERVICE_POSTGRESQL } from '../../workload/index.ts';
import type { HandlerDeps } from '../deps.ts';
import type { ReconcileFacts } from './facts.ts';
import { blocked, waiting, type StepReport } from './outcome.ts';
import { next, step } from './pipeline.ts';

function breaking(event: ReconcileFacts['event'], endpoint: string): RelationRef | undefined {
  return event.kind === 'relation-broken' && event.endpoint === endpoint ? event.relation : undefined;
}

export const tlsStep = step({
  name: 'tls',
  retryMessage: 'waiting to set up TLS',
  requires: ['event', 'isLeader', 'unit', 'workload'],
  provides: ['tlsReloaded'],
  async run(
    deps: Pick<HandlerDeps, 'unitName' | 'appName' | 'modelName' | 'tools' | 'secrets' | 'pebble' | 'logger'>,
    { event, isLeader, unit },
  ) {
    const logger = deps.logger;
    const certificates = await convergeCertificates(
      { unitName: deps.unitName, appName: deps.appName, modelName: deps.modelName, tools: deps.tools, secrets: deps.secrets, logger },
      { ...withBreaking(breaking(event, CERTIFICATES_ENDPOINT)) },
    );
    const pebble = await deps.pebble();
    const filesChanged = await pushTlsFiles(pebble, await readStoredTls(deps.secrets), logger);
    // A new certificate while TLS is on (renewal, a new key): reload. Patroni's API re-binds with
    // it, so the member step waits for it (tlsReloaded) instead of taking the pause for a stopped
    // member. When TLS is being switched on, patroni.yml changes too and the service step reloads.
    let tlsReloaded = false;
    if (filesChanged && unit.tls === 'enabled') {
      const [service] = (await pebble.plan()).services[SERVICE_POSTGRESQL] === undefined ? [] : await pebble.services([SERVICE_POSTGRESQL]);
      if (service?.current === 'active') {
        await pebble.sendSignal('SIGHUP', [SERVICE_POSTGRESQL]);
        logger.info('asked Patroni to reload for the new TLS files');
        tlsReloaded = true;
      }
    }
    const cas = await receivedCas({ tools: deps.tools, appName: deps.appName, isLeader, logger }, breaking(event, RECEIVE_CA_CERT_ENDPOINT));
    const transferred = await pushTransferredCas(pebble, cas, logger);
    await storeReceivedCas(deps.secrets, cas, transferred.removedApps);
    const problem = certificates.problem;
    const report: StepReport | undefined = problem === undefined ? undefined : problem.kind === 'blocked' ? blocked(problem.message) : waiting(problem.message);
    return next({ tlsReloaded }, report);
  },
});

function withBreaking(ref: RelationRef | undefined): { breaking?: RelationRef } {
  return ref === undefined ? {} : { breaking: ref };
}
