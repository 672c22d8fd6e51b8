/**
 * Private keys for the unit certificate: generate one (RSA 2048, e = 65537, PKCS#1 PEM, as the
 * reference does) or accept an operator's key given as PEM or base64 of PEM. All parsing and
 * encoding is Node's crypto; nothing here touches ASN.1 by hand.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { InvalidPrivateKeyError, UnsupportedKeyTypeError, WeakKeyError } from './errors.ts';

/** A PEM armour line at the start of the text means PEM; anything else is taken as base64. */
const PEM_START = /^-+(BEGIN|END) [A-Z ]+-+/;

/**
 * Text of a TLS file given as plain PEM or as base64 of a PEM (action parameters cannot always
 * carry newlines).
 */
export function parseTlsFile(raw: string): string {
  const text = raw.trimStart();
  if (PEM_START.test(text)) return text;
  return Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
}

/** A fresh RSA-2048 key as "BEGIN RSA PRIVATE KEY" PEM, unencrypted. */
export function generatePrivateKey(): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return privateKey;
}

/** The smallest RSA key accepted from an operator (what the reference generates). */
export const MIN_RSA_BITS = 2048;

const PUBLIC_KEY_PEM = /-----BEGIN (RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/;
const ENCRYPTED_KEY_PEM = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

/**
 * Parse a PEM private key into a KeyObject, or throw InvalidPrivateKeyError saying what the text
 * is instead (a public key or certificate, an encrypted key, or no key at all) and what to give.
 */
export function privateKeyObject(pem: string): KeyObject {
  if (ENCRYPTED_KEY_PEM.test(pem)) {
    throw new InvalidPrivateKeyError('The private key is encrypted: give it without a passphrase (e.g. `openssl pkey -in key.pem -out plain.pem`)');
  }
  if (PUBLIC_KEY_PEM.test(pem) && !/PRIVATE KEY-----/.test(pem)) {
    throw new InvalidPrivateKeyError('The text is a public key or certificate, not a private key: give the PEM private key');
  }
  try {
    // A passphrase, so that an encrypted key we did not recognise fails instead of prompting.
    return createPrivateKey({ key: pem, format: 'pem', passphrase: '' });
  } catch (cause) {
    throw new InvalidPrivateKeyError(undefined, { cause });
  }
}

/**
 * The operator's key (PEM or base64 of PEM), checked to be a usable private key; the text is
 * returned as given (decoded when it was base64) so it is stored byte for byte.
 */
export function loadPrivateKey(raw: string): string {
  const pem = parseTlsFile(raw);
  const key = privateKeyObject(pem);
  signingAlgorithmFor(key);
  return pem;
}

/** The operator's key when given, else a newly generated one. */
export function privateKeyOrGenerate(raw?: string | null): string {
  return raw ? loadPrivateKey(raw) : generatePrivateKey();
}

const EC_CURVES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

export interface SigningAlgorithm {
  /** How WebCrypto imports the key. */
  importParams: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
  /** How WebCrypto signs with it (always SHA-256, as the reference). */
  signParams: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/** The WebCrypto algorithm for a key: RSA PKCS#1 v1.5 or ECDSA, both with SHA-256. */
export function signingAlgorithmFor(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new WeakKeyError(bits);
    const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { importParams: params, signParams: params };
  }
  const curve = EC_CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (key.asymmetricKeyType === 'ec' && curve) {
    return {
      importParams: { name: 'ECDSA', namedCurve: curve },
      signParams: { name: 'ECDSA', hash: 'SHA-256' } satisfies webcrypto.EcdsaParams,
    };
  }
  throw new UnsupportedKeyTypeError(
    `${key.asymmetricKeyType ?? 'unknown'}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}`,
  );
}

/** The key pair as WebCrypto keys, for @peculiar/x509. */
export async function webCryptoKeyPair(
  pem: string,
): Promise<{ keys: webcrypto.CryptoKeyPair; signParams: SigningAlgorithm['signParams'] }> {
  const privateKey = privateKeyObject(pem);
  const algorithm = signingAlgorithmFor(privateKey);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const subtle = webcrypto.subtle;
  const keys = {
    privateKey: await subtle.importKey('pkcs8', pkcs8, algorithm.importParams, false, ['sign']),
    publicKey: await subtle.importKey('spki', spki, algorithm.importParams, true, ['verify']),
  } satisfies webcrypto.CryptoKeyPair;
  return { keys, signParams: algorithm.signParams };
}

/** DER of the public key (SubjectPublicKeyInfo) that belongs to a private key. */
export function publicKeyDer(privateKeyPem: string): Buffer {
  return createPublicKey(privateKeyObject(privateKeyPem)).export({ type: 'spki', format: 'der' });
}
