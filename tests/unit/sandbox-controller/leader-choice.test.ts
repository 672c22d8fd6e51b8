import { describe, expect, it } from 'vitest';
import { chooseLeader } from '../../../sandbox/controller/leader-choice.ts';

describe('chooseLeader', () => {
  it('picks one of the candidates, the same one for the same seed, application and candidates', () => {
    const units = ['a/0', 'a/1', 'a/2'];
    for (const seed of ['1', '2', 'x']) {
      const first = chooseLeader('a', units, seed);
      expect(units).toContain(first);
      expect(chooseLeader('a', units, seed)).toBe(first);
    }
    expect(chooseLeader('a', ['a/0', 'a/1'], '0')).toBe('a/1'); // not always the lowest-numbered
    expect(chooseLeader('a', [], '1')).toBeUndefined();
  });

  it('without a seed, sooner or later picks each unit', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200 && seen.size < 3; i++) seen.add(chooseLeader('a', ['a/0', 'a/1', 'a/2'])!);
    expect([...seen].sort()).toEqual(['a/0', 'a/1', 'a/2']);
  });
});
