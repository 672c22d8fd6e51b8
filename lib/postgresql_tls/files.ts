/**
 * The TLS files the workload reads (reference charm: `src/charm.py` `push_tls_files_to_workload`,
 * `postgresql_tls.py` `get_tls_files`): names inside the storage directory,
 * their mode and owner, and which stored value goes into each. Pure.
 */
import { posix } from 'node:path';

export const TLS_KEY_FILE = 'key.pem';
export const TLS_CA_FILE = 'ca.pem';
export const TLS_CERT_FILE = 'cert.pem';
/** Read-only for the owner: PostgreSQL refuses a key others can read. */
export const TLS_FILE_MODE = 0o400;
export const TLS_FILE_OWNER = 'postgres';
export const TLS_FILE_GROUP = 'postgres';

/** The stored TLS material (unit secrets `key`, `ca`, `cert`, `chain`). */
export interface TlsMaterial {
  key?: string | null;
  ca?: string | null;
  cert?: string | null;
  chain?: string | null;
}

export interface TlsFile {
  path: string;
  content: string;
  mode: number;
  owner: string;
  group: string;
}

/** The CA file's content: the chain when there is one, else the CA. */
export function caFileContent(material: TlsMaterial): string | null {
  return material.chain || material.ca || null;
}

/** TLS counts as enabled when key, CA (or chain) and certificate are all present. */
export function isTlsComplete(material: TlsMaterial): boolean {
  return !!material.key && !!caFileContent(material) && !!material.cert;
}

/** The three files to write into `storageDir`, or null while any part is missing. */
export function tlsFiles(material: TlsMaterial, storageDir: string): TlsFile[] | null {
  const ca = caFileContent(material);
  if (!material.key || !ca || !material.cert) return null;
  const file = (name: string, content: string): TlsFile => ({
    path: posix.join(storageDir, name),
    content,
    mode: TLS_FILE_MODE,
    owner: TLS_FILE_OWNER,
    group: TLS_FILE_GROUP,
  });
  return [file(TLS_KEY_FILE, material.key), file(TLS_CA_FILE, ca), file(TLS_CERT_FILE, material.cert)];
}
