import { describe, expect, it } from 'vitest';
import { readRepoYaml } from '../config/repo-yaml.ts';

interface ActionParam {
  type: string;
  description: string;
  default?: unknown;
  enum?: unknown[];
}

interface Action {
  description: string;
  params?: Record<string, ActionParam>;
  required?: string[];
  additionalProperties?: boolean;
}

const actions = readRepoYaml('actions.yaml') as Record<string, Action>;

// The reference charm's actions.yaml (docs/upstream-charm.md): parameter types and the one default.
// The reference declares no enums and no required lists: the charm checks values itself and
// fails the action with its own message, which runbooks rely on.
const EXPECTED: Record<string, Record<string, { type: string; default?: unknown }>> = {
  'create-backup': { type: { type: 'string' } },
  'create-replication': { name: { type: 'string', default: 'default' } },
  'get-primary': {},
  'get-password': { username: { type: 'string' } },
  'list-backups': {},
  'pre-upgrade-check': {},
  'promote-to-primary': { scope: { type: 'string' }, force: { type: 'boolean' } },
  restore: { 'backup-id': { type: 'string' }, 'restore-to-time': { type: 'string' } },
  'resume-upgrade': {},
  'set-password': { username: { type: 'string' }, password: { type: 'string' } },
  'set-tls-private-key': { 'private-key': { type: 'string' } },
};

describe('actions.yaml', () => {
  it('declares exactly the reference actions', () => {
    expect(Object.keys(actions).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(Object.entries(EXPECTED))('%s', (name, params) => {
    const action = actions[name]!;

    it('has a description', () => {
      expect(action.description.length).toBeGreaterThan(20);
    });

    it('takes exactly the reference parameters with their types and defaults', () => {
      expect(Object.keys(action.params ?? {}).sort()).toEqual(Object.keys(params).sort());
      for (const [param, expected] of Object.entries(params)) {
        const declared = action.params?.[param];
        expect(declared?.type, param).toBe(expected.type);
        if ('default' in expected) expect(declared?.default, param).toBe(expected.default);
        else expect(declared, param).not.toHaveProperty('default');
        expect(declared, param).not.toHaveProperty('enum');
        expect(declared?.description.length, param).toBeGreaterThan(10);
      }
    });

    it('requires nothing (the charm checks its params), and forbids parameters it does not declare', () => {
      expect(action).not.toHaveProperty('required');
      // Juju then refuses an unknown parameter by name before the action runs.
      expect(action.additionalProperties).toBe(false);
    });
  });

  it('tells the operator the allowed values in the descriptions', () => {
    const typeParam = actions['create-backup']?.params?.['type']?.description ?? '';
    for (const kind of ['full', 'differential', 'incremental']) expect(typeParam).toContain(`"${kind}"`);
    const scope = actions['promote-to-primary']?.params?.['scope']?.description ?? '';
    for (const value of ['unit', 'cluster']) expect(scope).toContain(`"${value}"`);
    const users = actions['get-password']?.params?.['username']?.description ?? '';
    for (const user of ['operator', 'backup', 'replication', 'rewind', 'monitoring', 'patroni']) {
      expect(users).toContain(`"${user}"`);
    }
  });
});
