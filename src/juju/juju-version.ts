/**
 * Juju agent versions (`JUJU_VERSION`): `3.6.8`, `3.6.8.1` (build), `3.1-beta1` (pre-release tag
 * in place of the patch). Behaviour differs by version (secret-set coalescing before 3.6,
 * `secret-remove` handling from 3.6.11), so callers compare rather than parse strings themselves.
 */
export interface JujuVersion {
  raw: string;
  major: number;
  minor: number;
  patch: number;
  /** Pre-release tag (`beta`, `rc`…); empty for releases. */
  tag: string;
  build: number;
}

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.(\d+)|-([a-z]+)(\d+))(?:\.(\d+))?$/;

/** Parse a Juju version string, or return undefined if it is not one. */
export function parseJujuVersion(raw: string): JujuVersion | undefined {
  const match = VERSION_PATTERN.exec(raw);
  if (!match) return undefined;
  const [, major, minor, patch, tag, tagPatch, build] = match;
  return {
    raw,
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch ?? tagPatch),
    tag: tag ?? '',
    build: Number(build ?? 0),
  };
}

/** Order as Juju does: major, minor, then a release above any tagged pre-release, patch, build. */
export function compareJujuVersions(a: JujuVersion, b: JujuVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.tag !== b.tag) {
    if (a.tag === '') return 1;
    if (b.tag === '') return -1;
    return a.tag < b.tag ? -1 : 1;
  }
  if (a.patch !== b.patch) return a.patch - b.patch;
  return a.build - b.build;
}

/** True when `version` is at least `minimum` (e.g. `'3.6.11'`). */
export function jujuVersionAtLeast(version: JujuVersion, minimum: string): boolean {
  const parsed = parseJujuVersion(minimum);
  if (!parsed) throw new TypeError(`not a Juju version: ${minimum}`);
  return compareJujuVersions(version, parsed) >= 0;
}
