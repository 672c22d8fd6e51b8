import { describe, expect, it } from 'vitest';
import { PeerDataError, PeerDataStore } from '../../../src/state/peer-data.ts';
import { charmHarness } from '../../support/juju-harness.ts';

const names = (unit: string) => ({ app: 'postgresql-k8s', unit });

describe('PeerDataStore over the sandbox hook-tool engine', () => {
  it('round-trips typed app data written by the leader, and other units read it after commit', async () => {
    const harness = charmHarness({ units: 2 });
    const leader = harness.hook('postgresql-k8s/0');
    const store = new PeerDataStore(leader.tools, names('postgresql-k8s/0'));
    await store.writeApp({ cluster_initialised: true, endpoints: ['postgresql-k8s-0.postgresql-k8s-endpoints'] });
    // Pending writes are visible to the writer within the hook.
    expect(await store.readApp()).toMatchObject({ status: 'ok', data: { cluster_initialised: true } });
    leader.context.commit();

    const other = harness.hook('postgresql-k8s/1');
    const read = await new PeerDataStore(other.tools, names('postgresql-k8s/1')).readApp();
    expect(read).toEqual({
      status: 'ok',
      data: { cluster_initialised: true, endpoints: ['postgresql-k8s-0.postgresql-k8s-endpoints'] },
      extra: {},
    });
  });

  it('stores values in the reference charm’s string encodings', async () => {
    const harness = charmHarness({ units: 1 });
    const { tools, context } = harness.hook('postgresql-k8s/0');
    await new PeerDataStore(tools, names('postgresql-k8s/0')).writeApp({ cluster_initialised: true, endpoints: ['a', 'b'] });
    context.commit();
    const relation = harness.model.relations.find((r) => r.endpoints.some((e) => e.name === 'database-peers'))!;
    const bag = JSON.stringify(relation);
    expect(bag).toContain('"cluster_initialised":"True"');
    expect(bag).toContain('"endpoints":"[\\"a\\",\\"b\\"]"');
  });

  it('refuses app writes from a non-leader before touching Juju', async () => {
    const harness = charmHarness({ units: 2 });
    const { tools } = harness.hook('postgresql-k8s/1');
    const store = new PeerDataStore(tools, names('postgresql-k8s/1'));
    await expect(store.writeApp({ cluster_initialised: true })).rejects.toMatchObject({ code: 'not-leader' });
    await expect(store.writeApp({ cluster_initialised: true })).rejects.toBeInstanceOf(PeerDataError);
  });

  it('reports a malformed value as a typed result and keeps the good fields and unknown keys', async () => {
    const harness = charmHarness({ units: 1 });
    const { tools, context } = harness.hook('postgresql-k8s/0');
    const relation = (await tools.relationIds('database-peers'))[0]!;
    await tools.relationSet(relation, { endpoints: 'not json', cluster_initialised: 'True', 'future-key': 'x' }, { app: true });
    context.commit();
    const read = await new PeerDataStore(harness.hook('postgresql-k8s/0').tools, names('postgresql-k8s/0')).readApp();
    expect(read.status).toBe('malformed');
    if (read.status !== 'malformed') return;
    expect(read.data).toEqual({ cluster_initialised: true });
    expect(read.extra).toEqual({ 'future-key': 'x' });
    expect(read.issues).toEqual([
      { key: 'endpoints', value: 'not json', message: 'expected a JSON list of strings, got "not json"' },
    ]);
  });

  it('deletes a key when it is set to null, and lists the peer units', async () => {
    const harness = charmHarness({ units: 3 });
    const first = harness.hook('postgresql-k8s/1');
    const store = new PeerDataStore(first.tools, names('postgresql-k8s/1'));
    await store.writeUnit({ tls: 'enabled', departing: false });
    await store.writeUnit({ tls: null });
    expect([...(await store.peerUnits())].sort()).toEqual(['postgresql-k8s/0', 'postgresql-k8s/2']);
    first.context.commit();
    const read = await new PeerDataStore(harness.hook('postgresql-k8s/0').tools, names('postgresql-k8s/0')).readUnit('postgresql-k8s/1');
    // The addresses Juju put in the bag as the unit entered the relation's scope are extra keys.
    const addresses = { 'private-address': '10.1.0.11', 'ingress-address': '10.1.0.11', 'egress-subnets': '10.1.0.11/32' };
    expect(read).toEqual({ status: 'ok', data: { departing: false }, extra: addresses });
  });

  it('says there is no peer relation instead of failing in early hooks', async () => {
    const harness = charmHarness({ units: 1 });
    harness.model.relations.length = 0;
    const { tools } = harness.hook('postgresql-k8s/0');
    const store = new PeerDataStore(tools, names('postgresql-k8s/0'));
    expect(await store.readApp()).toEqual({ status: 'no-peer-relation' });
    await expect(store.writeUnit({ tls: 'enabled' })).rejects.toMatchObject({ code: 'no-peer-relation' });
  });
});
