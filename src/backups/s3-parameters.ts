/**
 * What the `s3` relation gives us, read as the reference charm reads it (canonical/postgresql-k8s-operator
 * `src/backups.py` `_retrieve_s3_parameters`, over data_platform_libs `s3.py` v0
 * `get_s3_connection_info`): every value of s3-integrator's application bag JSON-decoded when it
 * parses (so `tls-ca-chain` is a list of PEMs), strings trimmed, defaults filled in, and the
 * endpoint, path and bucket normalised. Pure: the tests hand in a bag.
 */

export const REQUIRED_S3_KEYS = ['bucket', 'access-key', 'secret-key'] as const;

export interface S3Parameters {
  readonly bucket: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** With its scheme, without a trailing `/` (default `https://s3.amazonaws.com`). */
  readonly endpoint: string;
  /** `/` followed by the configured path without surrounding slashes (`/` when none). */
  readonly path: string;
  readonly region?: string;
  /** `host` (virtual-hosted) or `path`. */
  readonly uriStyle: string;
  /** pgBackRest's `repo1-retention-full` (days); default 9999999, i.e. keep everything. */
  readonly deleteOlderThanDays: string;
  /** PEM certificates the S3 server's certificate chains to, when it is not publicly trusted. */
  readonly tlsCaChain?: readonly string[];
}

export type S3ParametersRead =
  | { readonly kind: 'ok'; readonly parameters: S3Parameters }
  | { readonly kind: 'missing'; readonly missing: readonly string[] };

/**
 * One databag value as data_platform_libs decodes it (`json.loads` when it parses, else the raw
 * string). A number or boolean comes back as Python's `str()` would print it; integers keep
 * their exact digits (an all-digit access key must not lose precision in a double).
 */
export function decodeS3Value(raw: string): string | readonly string[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(raw);
  } catch {
    return raw;
  }
  if (typeof decoded === 'string') return decoded;
  if (typeof decoded === 'boolean') return decoded ? 'True' : 'False';
  if (typeof decoded === 'number') return raw.trim();
  if (Array.isArray(decoded)) return decoded.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  // An object or null: nothing the charm reads has that shape; keep the raw text.
  return raw;
}

function text(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value.trim() : value.join(',').trim();
}

/** The bag's parameters, or the required keys it lacks (in the reference's order). */
export function readS3Parameters(bag: Readonly<Record<string, string>>): S3ParametersRead {
  const decoded: Record<string, string | readonly string[]> = {};
  for (const [key, raw] of Object.entries(bag)) decoded[key] = decodeS3Value(raw);
  const missing = REQUIRED_S3_KEYS.filter((key) => (text(decoded[key]) ?? '') === '');
  if (missing.length > 0) return { kind: 'missing', missing };
  const chain = decoded['tls-ca-chain'];
  const tlsCaChain = chain === undefined ? undefined : typeof chain === 'string' ? (chain.trim() === '' ? [] : [chain]) : chain;
  const region = text(decoded['region']);
  return {
    kind: 'ok',
    parameters: {
      bucket: (text(decoded['bucket']) ?? '').replace(/^\/+|\/+$/g, ''),
      accessKey: text(decoded['access-key']) ?? '',
      secretKey: text(decoded['secret-key']) ?? '',
      endpoint: (text(decoded['endpoint']) || 'https://s3.amazonaws.com').replace(/\/+$/, ''),
      path: `/${(text(decoded['path']) ?? '').replace(/^\/+|\/+$/g, '')}`,
      ...(region ? { region } : {}),
      uriStyle: text(decoded['s3-uri-style']) || 'host',
      deleteOlderThanDays: text(decoded['delete-older-than-days']) || '9999999',
      ...(tlsCaChain !== undefined && tlsCaChain.length > 0 ? { tlsCaChain } : {}),
    },
  };
}

/** The reference's failure text for missing keys: a Python list repr. */
export function missingParametersMessage(missing: readonly string[]): string {
  return `Missing S3 parameters: [${missing.map((key) => `'${key}'`).join(', ')}]`;
}

export const NO_S3_RELATION_MESSAGE = 'Relation with s3-integrator charm missing, cannot create/restore backup.';

/**
 * The endpoint the charm's own S3 requests use (reference `_construct_endpoint`): AWS's global
 * endpoint becomes the region's (`https://s3.<region>.amazonaws.com`); any other is kept.
 */
export function regionalEndpoint(parameters: Pick<S3Parameters, 'endpoint' | 'region'>): string {
  if (parameters.region === undefined) return parameters.endpoint;
  let url: URL;
  try {
    url = new URL(parameters.endpoint);
  } catch {
    return parameters.endpoint;
  }
  if (!url.hostname.endsWith('amazonaws.com')) return parameters.endpoint;
  return `${url.protocol}//s3.${parameters.region}.amazonaws.com`;
}
