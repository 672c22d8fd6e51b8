/** The shared TLS library (non-relation core): import from here. */
export * from './certificates.ts';
export * from './csr.ts';
export * from './errors.ts';
export * from './files.ts';
export * from './keys.ts';
export * from './relation-data.ts';
