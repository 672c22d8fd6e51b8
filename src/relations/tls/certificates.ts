/**
 * The `certificates` requirer (interface tls-certificates), as the reference charm's
 * lib/charms/postgresql_k8s/v0/postgresql_tls.py does it on top of tls_certificates v2, but as a
 * convergence run by every reconcile instead of events:
 *
 *  - each unit has a private key and a CSR for its names in the unit secret (`key`, `csr`);
 *  - while the relation exists, its unit bag carries that CSR (`certificate_signing_requests`);
 *  - the provider's certificate for it, once checked (ours, unexpired, signed by its CA), is
 *    stored (`cert`, `ca`, `chain`); a bad answer keeps the working state and is reported;
 *  - when the certificate nears expiry a new CSR with the same key replaces the old one in the
 *    bag (the v2 library's `request_certificate_renewal`), and the old certificate serves until
 *    the new one arrives;
 *  - without the relation the certificate, CA and chain are forgotten: TLS is off.
 */
import {
  canonicalPem,
  certificateExpiry,
  certificateFor,
  CERTIFICATE_SIGNING_REQUESTS_KEY,
  CERTIFICATES_KEY,
  csrMatchesKey,
  encodeCertificateSigningRequests,
  ISSUED_CERTIFICATE_PROBLEMS,
  issuedCertificateProblem,
  parseProviderCertificates,
  prepareCertificateRequest,
  renewalTime,
  type UnitNames,
} from '../../../lib/postgresql_tls/index.ts';
import { errorCode } from '../../errors.ts';
import type { HookTools, RelationRef } from '../../juju/hook-tools.ts';
import type { Logger } from '../../logging.ts';
import type { SecretStore } from '../../state/secrets.ts';
import { memberEndpoint, memberFqdn, primaryEndpoint, replicasEndpoint } from '../../workload/names.ts';

export const CERTIFICATES_ENDPOINT = 'certificates';

export type CertificatesTools = Pick<
  HookTools,
  'relationIds' | 'relationGet' | 'relationSet' | 'relationRemoteApp' | 'networkGet' | 'secretInfoGet' | 'secretGet' | 'secretAdd' | 'secretSet' | 'secretRemove'
>;

/**
 * A unit-owned secret holding the certificate, expiring when it is time to renew it: Juju runs
 * `secret-expired` then (the v2 library's expiry secret works the same way), and that hook's
 * reconcile asks for the new certificate. Once asked, the secret expires with the certificate,
 * so that an unanswered renewal shows as expired when it is.
 */
export const RENEWAL_SECRET_LABEL = 'certificates.renewal';

export interface CertificatesDeps {
  readonly unitName: string;
  readonly appName: string;
  readonly modelName: string;
  readonly tools: CertificatesTools;
  readonly secrets: Pick<SecretStore, 'get' | 'set'>;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

/** The unit secret's TLS fields, as the reference names them. */
export interface StoredTls {
  readonly key?: string | undefined;
  readonly csr?: string | undefined;
  readonly cert?: string | undefined;
  readonly ca?: string | undefined;
  readonly chain?: string | undefined;
}

export async function readStoredTls(secrets: CertificatesDeps['secrets']): Promise<StoredTls> {
  const [key, csr, cert, ca, chain] = await Promise.all(['key', 'csr', 'cert', 'ca', 'chain'].map((field) => secrets.get('unit', field)));
  return { key, csr, cert, ca, chain };
}

/** The peer-relation bind address (the reference puts it in the SANs), if Juju reports one. */
async function bindAddress(deps: Pick<CertificatesDeps, 'tools' | 'logger'>): Promise<string | undefined> {
  try {
    const info = await deps.tools.networkGet('database-peers');
    return info.bindAddresses[0]?.addresses[0]?.value ?? info.ingressAddresses[0];
  } catch (error) {
    deps.logger.debug({ err: error }, 'no bind address for the certificate');
    return undefined;
  }
}

/** The names the reference's CSR carries for this unit (postgresql_tls.py `_request_certificate`). */
export async function unitNames(deps: Pick<CertificatesDeps, 'unitName' | 'appName' | 'modelName' | 'tools' | 'logger'>): Promise<UnitNames> {
  const address = await bindAddress(deps);
  return {
    appName: deps.appName,
    unitName: deps.unitName,
    unitHostname: memberEndpoint(deps.unitName),
    fqdn: memberFqdn(deps.unitName, deps.modelName),
    ...(address === undefined ? {} : { bindAddress: address }),
    additionalDnsNames: [primaryEndpoint(deps.appName, deps.modelName), replicasEndpoint(deps.appName, deps.modelName)],
  };
}

/** The live `certificates` relation (one at most: limit 1), leaving out one breaking in this hook. */
export async function certificatesRelation(tools: Pick<HookTools, 'relationIds'>, breaking?: RelationRef): Promise<RelationRef | undefined> {
  const refs = await tools.relationIds(CERTIFICATES_ENDPOINT);
  return refs.find((ref) => !(breaking !== undefined && breaking.endpoint === ref.endpoint && breaking.id === ref.id));
}

/**
 * A new CSR for this unit, made with `privateKey` (given, kept, or generated when undefined),
 * stored with the key in the unit secret.
 */
export async function requestCertificate(deps: CertificatesDeps, privateKey: string | undefined): Promise<{ key: string; csr: string }> {
  const { privateKeyPem, csrPem } = await prepareCertificateRequest(await unitNames(deps), privateKey);
  await deps.secrets.set('unit', { key: privateKeyPem, csr: csrPem });
  return { key: privateKeyPem, csr: csrPem };
}

/** Our unit bag names exactly this CSR (one write replaces an old one, as a renewal does). */
export async function publishCsr(deps: Pick<CertificatesDeps, 'tools' | 'unitName'>, ref: RelationRef, csr: string): Promise<boolean> {
  const wanted = encodeCertificateSigningRequests([csr]);
  const bag = await deps.tools.relationGet(ref, { unit: deps.unitName });
  if (bag[CERTIFICATE_SIGNING_REQUESTS_KEY] === wanted) return false;
  await deps.tools.relationSet(ref, { [CERTIFICATE_SIGNING_REQUESTS_KEY]: wanted });
  return true;
}

function minuteCeiling(time: Date): Date {
  return new Date(Math.ceil(time.getTime() / 60_000) * 60_000);
}

/**
 * Juju checks secret expiry by the minute: secret-expired comes once the expiry time truncated
 * to the minute has passed, so up to a minute before the time set. A hook that close to the
 * renewal time renews (a minute early is nothing against any certificate's lifetime).
 */
export const RENEWAL_SLACK_MS = 60_000;

/**
 * The renewal secret holds this certificate and expires at `due` (written only when either
 * changed): the renewal time, or once a renewal is asked for, the certificate's expiry, so that
 * a hook comes when it expires unrenewed.
 */
export async function scheduleRenewal(deps: Pick<CertificatesDeps, 'tools' | 'logger'>, certificate: string, due: Date): Promise<void> {
  const content = { certificate, due: due.toISOString() };
  let info: { id: string; revision: number } | undefined;
  try {
    info = await deps.tools.secretInfoGet({ label: RENEWAL_SECRET_LABEL });
    const current = await deps.tools.secretGet({ id: info.id });
    if (current['certificate'] === content.certificate && current['due'] === content.due) return;
  } catch (error) {
    if (errorCode(error) !== 'secret-not-found') throw error;
  }
  if (info === undefined) await deps.tools.secretAdd(content, { label: RENEWAL_SECRET_LABEL, owner: 'unit', expire: due });
  else {
    await deps.tools.secretSet(info.id, { content, expire: due });
    // Juju fires secret-expired for an expired revision every few minutes until it is removed
    // (the tls_certificates library's requirer removes them on secret-expired too); the new
    // revision carries the schedule now.
    await deps.tools.secretRemove(info.id, info.revision);
  }
  deps.logger.info({ due: content.due }, 'the certificate will be looked at again then');
}

/** What the requirer found: a problem to show (the working state kept meanwhile), if any. */
export interface CertificatesOutcome {
  readonly problem?: { readonly kind: 'blocked' | 'waiting'; readonly message: string };
}

/** The status line for a provider answer we refuse: what is wrong, from whom, and what happens meanwhile. */
export function rejectedCertificateMessage(provider: string, reason: string, haveCertificate: boolean): string {
  return `TLS certificate from ${provider} rejected: ${reason}; ${haveCertificate ? 'the current one stays in use' : 'TLS stays off'} until it sends a valid one`;
}

/** `2026-12-07 22:10:00 UTC`. */
function utcStamp(time: Date): string {
  return time.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** A renewal asked for and not answered yet, the certificate still valid. */
export function expiringCertificateMessage(provider: string, expiry: Date): string {
  return `TLS certificate expires ${utcStamp(expiry)}: waiting for ${provider} to renew it (check ${provider} if this lasts)`;
}

/** The certificate in use has expired and the provider has not answered the renewal. */
export function expiredCertificateMessage(provider: string, expiry: Date): string {
  return `TLS certificate expired ${utcStamp(expiry)} and ${provider} has not renewed it: clients that verify it fail; check ${provider} or relate another TLS provider`;
}

/**
 * The certificate in use waits for its renewal: Waiting until it expires (a hook comes then:
 * the renewal secret now expires with it), Blocked after. It stays in use either way: turning
 * TLS off would leave clients that require it with nothing.
 */
async function pendingRenewal(deps: Pick<CertificatesDeps, 'tools' | 'logger'>, provider: string, certificate: string, now: Date): Promise<CertificatesOutcome> {
  const expiry = certificateExpiry(certificate);
  if (now.getTime() >= expiry.getTime()) return { problem: { kind: 'blocked', message: expiredCertificateMessage(provider, expiry) } };
  await scheduleRenewal(deps, certificate, minuteCeiling(expiry));
  return { problem: { kind: 'waiting', message: expiringCertificateMessage(provider, expiry) } };
}

function renewalDue(certificate: string, now: Date): boolean {
  return now.getTime() >= renewalTime(certificate).getTime() - RENEWAL_SLACK_MS;
}

/** Converge the unit secret and our bag with the relation; see the module comment. */
export async function convergeCertificates(deps: CertificatesDeps, options: { breaking?: RelationRef; now?: Date } = {}): Promise<CertificatesOutcome> {
  const ref = await certificatesRelation(deps.tools, options.breaking);
  const stored = await readStoredTls(deps.secrets);
  if (ref === undefined) {
    if (stored.cert || stored.ca || stored.chain) {
      await deps.secrets.set('unit', { cert: undefined, ca: undefined, chain: undefined });
      deps.logger.info('the certificates relation is gone: TLS off');
    }
    return {};
  }
  let { key, csr } = stored;
  if (!key || !csr || !(await csrMatchesKey(csr, key))) ({ key, csr } = await requestCertificate(deps, key || undefined));
  if (await publishCsr(deps, ref, csr)) deps.logger.info({ relation: ref.id }, 'asked for a certificate');

  const provider = (await deps.tools.relationRemoteApp(ref)) ?? CERTIFICATES_ENDPOINT;
  const bag = provider === CERTIFICATES_ENDPOINT ? {} : await deps.tools.relationGet(ref, { app: provider });
  const answer = parseProviderCertificates(bag[CERTIFICATES_KEY]);
  // v2 would drop every certificate here; the well-formed ones are still used, and the rest named.
  if (answer.problems.length > 0) deps.logger.warn({ provider, problems: answer.problems }, 'the provider sent malformed certificate entries');
  const entry = certificateFor(answer.certificates, csr);
  const now = options.now ?? new Date();
  if (entry === undefined) {
    // Nothing for our CSR yet: a renewal (or a new key's certificate) on its way, or the first one.
    if (stored.cert) return renewalDue(stored.cert, now) ? pendingRenewal(deps, provider, stored.cert, now) : {};
    if (answer.problems.length > 0) {
      return { problem: { kind: 'waiting', message: `waiting for a valid certificate from ${provider} (${answer.problems[0]})` } };
    }
    return {};
  }
  // The certificate in use was checked when it came; only a new one is.
  if (entry.certificate !== stored.cert) {
    const problem = await issuedCertificateProblem({ certificatePem: entry.certificate, caPem: entry.ca, chainPems: entry.chain, privateKeyPem: key, now });
    if (problem !== undefined) {
      deps.logger.warn({ provider, problem }, 'refusing the certificate the provider issued');
      return { problem: { kind: 'blocked', message: rejectedCertificateMessage(provider, ISSUED_CERTIFICATE_PROBLEMS[problem], !!stored.cert) } };
    }
  }
  const chain = entry.chain.map(canonicalPem).join('\n');
  if (entry.certificate !== stored.cert || entry.ca !== stored.ca || chain !== (stored.chain ?? '')) {
    await deps.secrets.set('unit', { cert: entry.certificate, ca: entry.ca, chain: chain || undefined });
    deps.logger.info({ provider }, 'stored the new certificate');
  }
  if (!renewalDue(entry.certificate, now)) {
    await scheduleRenewal(deps, entry.certificate, renewalTime(entry.certificate));
    return {};
  }
  const renewed = await requestCertificate(deps, key);
  await publishCsr(deps, ref, renewed.csr);
  deps.logger.info({ provider }, 'the certificate nears expiry: asked for a new one with the same key');
  return pendingRenewal(deps, provider, entry.certificate, now);
}
