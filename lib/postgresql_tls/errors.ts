/** Typed failures of the TLS helpers. Messages never include key material. */
import { LibError } from '../errors.ts';

type Options = { cause?: unknown };

export type TlsErrorCode = 'invalid-private-key' | 'unsupported-key-type' | 'weak-private-key' | 'invalid-certificate' | 'csr-generation-failed';

/** The given private key is neither a PEM key nor base64 of one. */
export class InvalidPrivateKeyError extends LibError<TlsErrorCode> {
  constructor(message = 'The private key is not a valid PEM (or base64-encoded PEM) key', options?: Options) {
    super('invalid-private-key', message, options);
  }
}

/** A key type we cannot sign a CSR with (only RSA and EC P-256/384/521 are supported). */
export class UnsupportedKeyTypeError extends LibError<TlsErrorCode> {
  constructor(keyType: string, options?: Options) {
    super('unsupported-key-type', `Unsupported private key type: ${keyType} (use RSA of 2048 bits or more, or EC P-256/P-384/P-521)`, options);
  }
}

/** An RSA key shorter than the reference's 2048 bits. */
export class WeakKeyError extends LibError<TlsErrorCode> {
  constructor(bits: number, options?: Options) {
    super('weak-private-key', `The RSA private key has ${bits} bits: use one of 2048 bits or more`, options);
  }
}

/** A certificate or CSR that does not parse. */
export class InvalidCertificateError extends LibError<TlsErrorCode> {
  constructor(message = 'The certificate is not valid PEM', options?: Options) {
    super('invalid-certificate', message, options);
  }
}

/** Signing the CSR failed. */
export class CsrGenerationError extends LibError<TlsErrorCode> {
  constructor(message = 'Failed to generate the certificate signing request', options?: Options) {
    super('csr-generation-failed', message, options);
  }
}
