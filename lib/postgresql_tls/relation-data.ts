/**
 * The `tls-certificates` interface on the wire, as the reference charm's requirer library
 * (charms.tls_certificates_interface v2, `tls_certificates.py`) writes and reads it, and as the
 * provider (self-signed-certificates, on the charmlibs `tls_certificates` "v4" library) answers.
 * The JSON schemas are canonical/charm-relation-interfaces `interfaces/tls_certificates/v1/schemas`.
 *
 *  - requirer unit bag `certificate_signing_requests`: a JSON list of
 *    `{"certificate_signing_request": <PEM, stripped>, "ca": false}`;
 *  - provider app bag `certificates`: a JSON list of `{"certificate_signing_request",
 *    "certificate", "ca", "chain": [leaf, ..., root], "revoked"?: true}`.
 *
 * The provider re-serialises the CSR and writes its PEM back; the requirer finds its certificate
 * by string equality with what it sent. So our CSR must already be in the canonical form: header
 * and footer lines, base64 wrapped at 64 columns, `\n` line ends, no trailing newline.
 */

export const CERTIFICATE_SIGNING_REQUESTS_KEY = 'certificate_signing_requests';
export const CERTIFICATES_KEY = 'certificates';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block of `text` in canonical form (64-column base64, `\n`), joined by `\n`, without
 * a trailing newline; text with no PEM block is returned trimmed. Only re-wraps base64 between
 * armour lines; decoding is the x509 library's job.
 */
export function canonicalPem(text: string): string {
  const blocks = [...text.matchAll(PEM_BLOCK)].map(([, label, body]) => {
    const base64 = (body ?? '').replace(/\s+/g, '');
    const lines = base64.match(/.{1,64}/g) ?? [];
    return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
  });
  return blocks.length === 0 ? text.trim() : blocks.join('\n');
}

/** Each PEM block of a bundle (leaf first, as the provider orders a chain), canonical. */
export function splitPemBundle(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map(([block]) => canonicalPem(block));
}

/**
 * The requirer unit bag's value for these CSRs, byte for byte what the v2 library's
 * `json.dumps` writes (`", "` and `": "` separators; PEM text is ASCII, so `JSON.stringify`
 * escapes it as Python does).
 */
export function encodeCertificateSigningRequests(csrs: readonly string[]): string {
  const entries = csrs.map((csr) => `{"certificate_signing_request": ${JSON.stringify(canonicalPem(csr))}, "ca": false}`);
  return `[${entries.join(', ')}]`;
}

/** What a requirer asked for (the provider's reading of a unit bag); malformed entries are skipped. */
export function decodeCertificateSigningRequests(value: string | undefined): { csr: string; ca: boolean }[] {
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry: unknown) => {
    if (!isRecord(entry) || typeof entry['certificate_signing_request'] !== 'string') return [];
    return [{ csr: entry['certificate_signing_request'].trim(), ca: entry['ca'] === true }];
  });
}

/** One certificate the provider issued. */
export interface ProviderCertificate {
  readonly csr: string;
  readonly certificate: string;
  readonly ca: string;
  /** Leaf first, as self-signed-certificates writes it. */
  readonly chain: readonly string[];
  readonly revoked: boolean;
}

export interface ProviderCertificates {
  readonly certificates: readonly ProviderCertificate[];
  /** One line per entry that does not follow the schema (index and what is wrong), none of them key material. */
  readonly problems: readonly string[];
}

function parseJson(value: string | undefined): unknown {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'is not an object';
  for (const key of ['certificate_signing_request', 'certificate', 'ca'] as const) {
    if (typeof entry[key] !== 'string' || entry[key] === '') return `has no ${key}`;
  }
  const chain = entry['chain'];
  if (!Array.isArray(chain) || chain.some((item) => typeof item !== 'string')) return 'has no chain list of PEM strings';
  if (entry['revoked'] !== undefined && typeof entry['revoked'] !== 'boolean') return 'has a revoked flag that is not a boolean';
  return undefined;
}

/**
 * The provider app bag's `certificates`. The v2 library validates the whole list against the
 * schema and ignores every certificate when one entry fails (e.g. one meant for another unit);
 * here a malformed entry is reported in `problems` and the well-formed ones are still used.
 */
export function parseProviderCertificates(value: string | undefined): ProviderCertificates {
  const parsed = parseJson(value);
  if (parsed === undefined) return { certificates: [], problems: [] };
  if (!Array.isArray(parsed)) return { certificates: [], problems: [`${CERTIFICATES_KEY} is not a JSON list`] };
  const certificates: ProviderCertificate[] = [];
  const problems: string[] = [];
  parsed.forEach((entry: unknown, index) => {
    const problem = entryProblem(entry);
    if (problem !== undefined || !isRecord(entry)) {
      problems.push(`${CERTIFICATES_KEY}[${index}] ${problem ?? 'is not an object'}`);
      return;
    }
    certificates.push({
      csr: (entry['certificate_signing_request'] as string).trim(),
      certificate: (entry['certificate'] as string).trim(),
      ca: (entry['ca'] as string).trim(),
      chain: (entry['chain'] as string[]).map((pem) => pem.trim()),
      revoked: entry['revoked'] === true,
    });
  });
  return { certificates, problems };
}

/** The provider's answer to this CSR (compared stripped, as the reference does), unless revoked. */
export function certificateFor(certificates: readonly ProviderCertificate[], csr: string): ProviderCertificate | undefined {
  const wanted = csr.trim();
  return certificates.find((entry) => entry.csr === wanted && !entry.revoked);
}

/**
 * The provider app bag's `certificates` as the v4 library writes it (pydantic's dump with
 * `exclude_defaults`: `revoked` only when true; `chain` always present).
 */
export function encodeProviderCertificates(certificates: readonly ProviderCertificate[]): string {
  return JSON.stringify(
    certificates.map((entry) => ({
      certificate_signing_request: entry.csr,
      certificate: entry.certificate,
      ca: entry.ca,
      chain: [...entry.chain],
      ...(entry.revoked ? { revoked: true } : {}),
    })),
  );
}

/**
 * certificate_transfer: a value of the provider's unit bag, JSON-decoded when it is JSON (the v1
 * library in v0 compatibility mode encodes every value) and raw otherwise (the v0 library writes
 * PEM as it is), as the v0 requirer's `_load_relation_data` does.
 */
export function transferValue(value: string | undefined): unknown {
  return parseJson(value);
}

/**
 * The CA a certificate_transfer provider's unit bag offers (`ca`, else `certificate`, else the
 * chain's last entry), or undefined when it offers none.
 */
export function transferredCa(bag: Readonly<Record<string, string>>): string | undefined {
  const ca = transferValue(bag['ca']);
  if (typeof ca === 'string' && ca.includes('-----BEGIN')) return canonicalPem(ca);
  const certificate = transferValue(bag['certificate']);
  if (typeof certificate === 'string' && certificate.includes('-----BEGIN')) return canonicalPem(certificate);
  const chain = transferValue(bag['chain']);
  if (Array.isArray(chain)) {
    const last = chain.filter((item): item is string => typeof item === 'string' && item.includes('-----BEGIN')).at(-1);
    if (last !== undefined) return canonicalPem(last);
  }
  return undefined;
}
