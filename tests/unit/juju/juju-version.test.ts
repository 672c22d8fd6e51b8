import { describe, expect, it } from 'vitest';
import { compareJujuVersions, jujuVersionAtLeast, parseJujuVersion } from '../../../src/juju/juju-version.ts';

const v = (raw: string) => {
  const parsed = parseJujuVersion(raw);
  if (!parsed) throw new Error(`bad version ${raw}`);
  return parsed;
};

describe('Juju versions', () => {
  it('parses releases, builds and pre-release tags', () => {
    expect(v('3.6.8')).toEqual({ raw: '3.6.8', major: 3, minor: 6, patch: 8, tag: '', build: 0 });
    expect(v('2.9.42.1')).toMatchObject({ patch: 42, build: 1 });
    expect(v('3.1-beta1')).toMatchObject({ minor: 1, tag: 'beta', patch: 1 });
    for (const bad of ['3', '3.6', 'three', '3.6.8-', '3.6.x', '']) expect(parseJujuVersion(bad)).toBeUndefined();
  });

  it('orders as Juju does: a release sorts after its pre-releases', () => {
    const sorted = ['3.6.11', '3.1-beta1', '3.6.8', '2.9.49', '3.1.0', '3.1-rc2', '3.6.8.1'].map(v).sort(compareJujuVersions);
    expect(sorted.map((x) => x.raw)).toEqual(['2.9.49', '3.1-beta1', '3.1-rc2', '3.1.0', '3.6.8', '3.6.8.1', '3.6.11']);
    expect(jujuVersionAtLeast(v('3.6.11'), '3.6.11')).toBe(true);
    expect(jujuVersionAtLeast(v('3.6.10'), '3.6.11')).toBe(false);
    expect(jujuVersionAtLeast(v('4.0.0'), '3.6.11')).toBe(true);
    expect(() => jujuVersionAtLeast(v('3.6.8'), 'latest')).toThrow(TypeError);
  });
});
