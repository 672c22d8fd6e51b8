import { randomBytes } from 'node:crypto';

/**
 * Juju's name grammar (names package) and secret ids. Hook tools validate arguments against
 * these, and their error texts depend on which rule an argument breaks.
 */

const APP = '[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*';
const applicationPattern = new RegExp(`^${APP}$`);
const unitPattern = new RegExp(`^(${APP})/(0|[1-9][0-9]*)$`);

export function isValidApplicationName(name: string): boolean {
  return applicationPattern.test(name);
}

export function isValidUnitName(name: string): boolean {
  return unitPattern.test(name);
}

/** The application part of a unit name (`pg/3` → `pg`). */
export function unitApplication(unit: string): string {
  const match = unitPattern.exec(unit);
  if (!match?.[1]) throw new TypeError(`not a unit name: ${unit}`);
  return match[1];
}

export function unitNumber(unit: string): number {
  return Number(unit.slice(unit.lastIndexOf('/') + 1));
}

/** Sort unit names by application, then by number (so `pg/10` follows `pg/9`). */
export function compareUnitNames(a: string, b: string): number {
  const appA = a.slice(0, a.lastIndexOf('/'));
  const appB = b.slice(0, b.lastIndexOf('/'));
  if (appA !== appB) return appA < appB ? -1 : 1;
  return unitNumber(a) - unitNumber(b);
}

// xid alphabet: base32hex, lower case.
const XID_ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const xidPattern = /^[0-9a-v]{20}$/;
let xidCounter = randomBytes(3).readUIntBE(0, 3);

/**
 * A new secret id in the xid format Juju uses: 4 bytes of seconds, 5 random bytes and a
 * 3-byte counter, written as 20 base32hex characters (ids sort by creation time).
 */
export function newSecretId(now: Date = new Date()): string {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(Math.floor(now.getTime() / 1000) >>> 0, 0);
  randomBytes(5).copy(bytes, 4);
  xidCounter = (xidCounter + 1) % 0x1000000;
  bytes.writeUIntBE(xidCounter, 9, 3);
  // 96 bits → 20 groups of 5 bits, the last group zero-padded (4 spare bits).
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  bits <<= 4n;
  let id = '';
  for (let shift = 95n; shift >= 0n; shift -= 5n) id += XID_ALPHABET[Number((bits >> shift) & 31n)];
  return id;
}

/**
 * Parse what hook tools accept as a secret reference: `secret:<xid>`, `secret://<model>/<xid>`
 * or a bare xid. Returns the bare id, or null when the string is not a secret URI.
 */
export function parseSecretUri(value: string): string | null {
  let rest = value;
  if (rest.startsWith('secret://')) {
    rest = rest.slice('secret://'.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return null;
    rest = rest.slice(slash + 1);
  } else if (rest.startsWith('secret:')) {
    rest = rest.slice('secret:'.length);
  }
  return xidPattern.test(rest) ? rest : null;
}

export function secretUri(id: string): string {
  return `secret:${id}`;
}
