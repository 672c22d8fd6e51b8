/**
 * What the provider's leader does on every hook, as self-signed-certificates' `_configure`:
 * keep a CA (remade when its common name changes), answer every CSR in the requirers' unit bags
 * that has no certificate from this CA yet, drop certificates whose CSR is gone, and offer the CA
 * on `send-ca-cert`. Pure decisions (`plan*`) are separate from the hook-tool calls.
 */
import {
  certificateFor,
  CERTIFICATE_SIGNING_REQUESTS_KEY,
  CERTIFICATES_KEY,
  decodeCertificateSigningRequests,
  encodeProviderCertificates,
  generatePrivateKey,
  parseCertificate,
  parseProviderCertificates,
  type ProviderCertificate,
} from '../../../../lib/postgresql_tls/index.ts';
import type { HookTools, RelationRef } from '../../../../src/juju/hook-tools.ts';
import type { Logger } from '../../../../src/logging.ts';
import { createAuthority, issueCertificate, parseDuration, type Authority } from './ca.ts';

export const CERTIFICATES_ENDPOINT = 'certificates';
export const SEND_CA_CERT_ENDPOINT = 'send-ca-cert';
const CA_SECRET_LABEL = 'tls-provider-ca';
const FAULT_STATE_KEY = 'issued-with-fault';

export type Fault = '' | 'malformed' | 'other-key' | 'expired' | 'wrong-ca';
const FAULTS: readonly Fault[] = ['', 'malformed', 'other-key', 'expired', 'wrong-ca'];

export interface ProviderConfig {
  readonly caCommonName: string;
  readonly certificateValidityMs: number;
  readonly caValidityMs: number;
  readonly fault: Fault;
}

export function parseConfig(config: Readonly<Record<string, unknown>>): ProviderConfig {
  const text = (key: string, fallback: string) => (typeof config[key] === 'string' ? (config[key] as string) : fallback);
  const fault = text('test-fault', '') as Fault;
  if (!FAULTS.includes(fault)) throw new Error(`test-fault must be one of ${FAULTS.map((f) => JSON.stringify(f)).join(', ')}`);
  return {
    caCommonName: text('ca-common-name', 'self-signed-certificates-operator'),
    certificateValidityMs: parseDuration(text('certificate-validity', '90d')),
    caValidityMs: parseDuration(text('root-ca-validity', '365d')),
    fault,
  };
}

/**
 * The certificates to publish: kept ones whose CSR is still asked for and that this CA issued,
 * in the order asked; `issue` for the CSRs without one. A CSR asked twice is answered once.
 */
export function planCertificates(requested: readonly string[], existing: readonly ProviderCertificate[], caPem: string): { keep: ProviderCertificate[]; issue: string[] } {
  const keep: ProviderCertificate[] = [];
  const issue: string[] = [];
  for (const csr of new Set(requested)) {
    const found = certificateFor(existing, csr);
    if (found !== undefined && found.ca === caPem) keep.push(found);
    else issue.push(csr);
  }
  return { keep, issue };
}

async function readAuthority(tools: HookTools): Promise<Authority | undefined> {
  try {
    const content = await tools.secretGet({ label: CA_SECRET_LABEL }, { refresh: true });
    return content['ca-key'] && content['ca-certificate'] ? { keyPem: content['ca-key'], certificatePem: content['ca-certificate'] } : undefined;
  } catch {
    return undefined;
  }
}

/** The application's CA (an app secret), made or remade when missing or named differently. */
async function ensureAuthority(tools: HookTools, config: ProviderConfig, logger: Logger): Promise<Authority> {
  const stored = await readAuthority(tools);
  if (stored !== undefined && parseCertificate(stored.certificatePem).subject === `CN=${config.caCommonName}`) return stored;
  const made = await createAuthority(config.caCommonName, config.caValidityMs);
  const content = { 'ca-key': made.keyPem, 'ca-certificate': made.certificatePem };
  if (stored === undefined) await tools.secretAdd(content, { label: CA_SECRET_LABEL, owner: 'application' });
  else {
    const info = await tools.secretInfoGet({ label: CA_SECRET_LABEL });
    await tools.secretSet(info.id, { content });
  }
  logger.info({ commonName: config.caCommonName }, 'made a new CA');
  return made;
}

/** A certificate answering `csr`, or the configured wrong answer. */
async function answer(authority: Authority, csr: string, config: ProviderConfig): Promise<ProviderCertificate> {
  const validity = { validityMs: config.certificateValidityMs };
  let certificate: string;
  let ca = authority.certificatePem;
  switch (config.fault) {
    case 'malformed':
      certificate = '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----';
      break;
    case 'other-key':
      certificate = await issueCertificate(authority, csr, { ...validity, publicKeyPem: generatePrivateKey() });
      break;
    case 'expired':
      certificate = await issueCertificate(authority, csr, { ...validity, expired: true });
      break;
    case 'wrong-ca': {
      const other = await createAuthority('another-ca', config.caValidityMs);
      certificate = await issueCertificate(other, csr, validity);
      ca = authority.certificatePem;
      break;
    }
    default:
      certificate = await issueCertificate(authority, csr, validity);
  }
  // Leaf first, as self-signed-certificates writes the chain.
  return { csr, certificate, ca, chain: [certificate, ca], revoked: false };
}

async function serveCertificates(tools: HookTools, ref: RelationRef, authority: Authority, config: ProviderConfig, logger: Logger, reissue: boolean): Promise<void> {
  const requested: string[] = [];
  for (const unit of await tools.relationList(ref)) {
    const bag = await tools.relationGet(ref, { unit });
    requested.push(...decodeCertificateSigningRequests(bag[CERTIFICATE_SIGNING_REQUESTS_KEY]).filter((r) => !r.ca).map((r) => r.csr));
  }
  const ours = await tools.relationGet(ref, { app: tools.appName });
  const existing = reissue ? [] : parseProviderCertificates(ours[CERTIFICATES_KEY]).certificates;
  const { keep, issue } = planCertificates(requested, existing, authority.certificatePem);
  const issued = await Promise.all(issue.map((csr) => answer(authority, csr, config)));
  const byCsr = new Map([...keep, ...issued].map((entry) => [entry.csr, entry]));
  const ordered = [...new Set(requested)].map((csr) => byCsr.get(csr)).filter((entry): entry is ProviderCertificate => entry !== undefined);
  const value = encodeProviderCertificates(ordered);
  if ((ours[CERTIFICATES_KEY] ?? '') !== value) {
    await tools.relationSet(ref, { [CERTIFICATES_KEY]: value }, { app: true });
    logger.info({ relation: ref.id, issued: issued.length, kept: keep.length }, 'answered the certificate requests');
  }
}

/** certificate_transfer v0 in our (leader) unit bag, every value JSON-encoded as the v1 library's compatibility mode writes it. */
async function serveCa(tools: HookTools, ref: RelationRef, authority: Authority): Promise<void> {
  const ca = authority.certificatePem;
  const wanted = { certificate: JSON.stringify(ca), ca: JSON.stringify(ca), chain: JSON.stringify([ca]), version: '0' };
  const ours = await tools.relationGet(ref, { unit: tools.unitName });
  const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => ours[key] !== value));
  if (Object.keys(changes).length > 0) await tools.relationSet(ref, changes);
}

export async function configure(tools: HookTools, logger: Logger, breaking?: RelationRef): Promise<void> {
  const config = parseConfig(await tools.configGet());
  const authority = await ensureAuthority(tools, config, logger);
  // A change of test-fault answers every CSR again, the right way or the configured wrong one.
  const reissue = ((await tools.stateGetKey(FAULT_STATE_KEY)) ?? '') !== config.fault;
  const live = (refs: readonly RelationRef[]) => refs.filter((ref) => !(breaking !== undefined && ref.id === breaking.id));
  for (const ref of live(await tools.relationIds(CERTIFICATES_ENDPOINT))) await serveCertificates(tools, ref, authority, config, logger, reissue);
  if (reissue) await tools.stateSet({ [FAULT_STATE_KEY]: config.fault });
  for (const ref of live(await tools.relationIds(SEND_CA_CERT_ENDPOINT))) await serveCa(tools, ref, authority);
}
