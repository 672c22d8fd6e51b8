/**
 * `set-tls-private-key` (reference: lib/charms/postgresql_k8s/v0/postgresql_tls.py
 * `_on_set_tls_private_key` → `_request_certificate`): this unit's key becomes the one given (PEM,
 * or base64 of PEM) or, without `private-key`, a newly generated one; a CSR for the unit is made
 * with it and both are stored. With the `certificates` relation in place the CSR replaces the old
 * one in our bag, the provider issues a certificate for the new key, and the reconcile puts it in
 * the workload; until then the files in place (old key and certificate) keep serving.
 *
 * A key that cannot serve (not a key, a public key, an encrypted key, RSA under 2048 bits, a type
 * the CSR cannot be signed with) fails the action with what is wrong and what to give instead;
 * the key itself is never echoed.
 */
import { LibError } from '../../lib/errors.ts';
import { loadPrivateKey } from '../../lib/postgresql_tls/index.ts';
import type { ActionEvent } from '../juju/events.ts';
import { certificatesRelation, publishCsr, requestCertificate, type CertificatesDeps } from '../relations/tls/certificates.ts';
import { ActionFailedError, runAction, type ActionTools, type BaseActionDeps } from './common.ts';

export interface SetTlsPrivateKeyDeps extends Omit<BaseActionDeps, 'tools'>, Omit<CertificatesDeps, 'tools' | 'logger'> {
  readonly tools: ActionTools & CertificatesDeps['tools'];
}

export async function setTlsPrivateKey(_event: ActionEvent, deps: SetTlsPrivateKeyDeps): Promise<void> {
  await runAction(deps, async () => {
    const raw = (await deps.tools.actionGet())['private-key'];
    if (raw !== undefined && typeof raw !== 'string') {
      throw new ActionFailedError('Invalid parameter "private-key": give the key as a PEM string or its base64 encoding', { code: 'invalid-action-params' });
    }
    let key: string | undefined;
    if (raw !== undefined && raw.trim() !== '') {
      try {
        key = loadPrivateKey(raw);
      } catch (cause) {
        if (!(cause instanceof LibError)) throw cause;
        throw new ActionFailedError(`Invalid private-key: ${cause.message}`, { cause, code: 'invalid-action-params' });
      }
    }
    const { csr } = await requestCertificate(deps, key);
    const relation = await certificatesRelation(deps.tools);
    if (relation !== undefined) await publishCsr(deps, relation, csr);
    deps.logger.info({ given: key !== undefined, related: relation !== undefined }, 'set the TLS private key and made a new CSR');
  });
}
