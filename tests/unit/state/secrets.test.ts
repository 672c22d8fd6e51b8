import { describe, expect, it } from 'vitest';
import { SecretStore, secretKeyFor } from '../../../src/state/secrets.ts';
import { charmHarness } from '../../support/juju-harness.ts';

describe('SecretStore over the sandbox hook-tool engine', () => {
  it('keeps app passwords in one secret labelled as the reference labels it', async () => {
    const harness = charmHarness({ units: 2 });
    const leader = harness.hook('postgresql-k8s/0');
    const store = new SecretStore(leader.tools, 'postgresql-k8s');
    await store.set('app', { 'operator-password': 'op-1', 'patroni-password': 'pat-1' });
    expect(await store.get('app', 'operator-password')).toBe('op-1');
    leader.context.commit();

    const secrets = Object.values(harness.model.secrets);
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0])).toContain('database-peers.postgresql-k8s.app');

    const reader = new SecretStore(harness.hook('postgresql-k8s/1').tools, 'postgresql-k8s');
    expect(await reader.get('app', 'patroni-password')).toBe('pat-1');
  });

  it('updates by adding a revision, and peers see the new value', async () => {
    const harness = charmHarness({ units: 2 });
    let leader = harness.hook('postgresql-k8s/0');
    await new SecretStore(leader.tools, 'postgresql-k8s').set('app', { 'operator-password': 'old' });
    leader.context.commit();
    expect(await new SecretStore(harness.hook('postgresql-k8s/1').tools, 'postgresql-k8s').get('app', 'operator-password')).toBe('old');

    leader = harness.hook('postgresql-k8s/0');
    await new SecretStore(leader.tools, 'postgresql-k8s').set('app', { 'operator-password': 'new' });
    leader.context.commit();
    expect(Object.values(harness.model.secrets)).toHaveLength(1);
    expect(await new SecretStore(harness.hook('postgresql-k8s/1').tools, 'postgresql-k8s').get('app', 'operator-password')).toBe('new');
  });

  it('writes nothing when the content is unchanged', async () => {
    const harness = charmHarness({ units: 1 });
    let leader = harness.hook('postgresql-k8s/0');
    await new SecretStore(leader.tools, 'postgresql-k8s').set('app', { 'operator-password': 'same' });
    leader.context.commit();
    const revisions = (): string => JSON.stringify(Object.values(harness.model.secrets).map((s) => s.revisions));
    const before = revisions();
    leader = harness.hook('postgresql-k8s/0');
    await new SecretStore(leader.tools, 'postgresql-k8s').set('app', { 'operator-password': 'same' });
    leader.context.commit();
    expect(revisions()).toBe(before);
  });

  it('refuses app-scope writes on a non-leader, and unit scope works there', async () => {
    const harness = charmHarness({ units: 2 });
    const { tools, context } = harness.hook('postgresql-k8s/1');
    const store = new SecretStore(tools, 'postgresql-k8s');
    await expect(store.set('app', { 'operator-password': 'x' })).rejects.toMatchObject({ code: 'not-leader' });
    await store.set('unit', { key: 'PRIVATE KEY', ca: 'CA PEM' });
    context.commit();
    const again = new SecretStore(harness.hook('postgresql-k8s/1').tools, 'postgresql-k8s');
    expect(await again.get('unit', 'ca')).toBe('CA PEM');
    expect(JSON.stringify(harness.model.secrets)).toContain('database-peers.postgresql-k8s.unit');
  });

  it('removes the secret once its last field is removed', async () => {
    const harness = charmHarness({ units: 1 });
    let hook = harness.hook('postgresql-k8s/0');
    await new SecretStore(hook.tools, 'postgresql-k8s').set('unit', { cert: 'C' });
    hook.context.commit();
    hook = harness.hook('postgresql-k8s/0');
    const store = new SecretStore(hook.tools, 'postgresql-k8s');
    await store.set('unit', { cert: undefined });
    hook.context.commit();
    expect(await new SecretStore(harness.hook('postgresql-k8s/0').tools, 'postgresql-k8s').get('unit', 'cert')).toBeUndefined();
  });

  it('maps field names to valid Juju secret keys as the reference does', () => {
    expect(secretKeyFor('ca')).toBe('cauth');
    expect(secretKeyFor('operator_password')).toBe('operator-password');
    expect(secretKeyFor('ca-remote-app')).toBe('ca-remote-app');
  });
});
