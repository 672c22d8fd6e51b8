import { describe, expect, it } from 'vitest';
import { dcsPort, parseChaosArgs } from '../../../sandbox/cli/commands/chaos-args.ts';
import { dcsDownRule, dcsPartitionRules } from '../../../sandbox/pods/faults.ts';
import { firstFillBytes, mkfsArgs, volumeImage } from '../../../sandbox/pods/volumes.ts';

describe('sandbox chaos arguments', () => {
  it('takes pod faults with one or more units, disk-full and disk-free among them', () => {
    expect(parseChaosArgs(['freeze', 'postgresql-k8s/0'])).toEqual({ kind: 'pod-fault', fault: 'freeze', units: ['postgresql-k8s/0'] });
    expect(parseChaosArgs(['disk-full', 'postgresql-k8s/1'])).toEqual({ kind: 'pod-fault', fault: 'disk-full', units: ['postgresql-k8s/1'] });
    expect(parseChaosArgs(['disk-free', 'a/0', 'a/1'])).toEqual({ kind: 'pod-fault', fault: 'disk-free', units: ['a/0', 'a/1'] });
  });

  it('refuses a pod fault without a unit, naming the verb', () => {
    expect(() => parseChaosArgs(['disk-full'])).toThrow(/disk-full needs at least one unit; usage: chaos /);
    expect(() => parseChaosArgs(['partition'])).toThrow(/partition needs at least one unit/);
  });

  it('takes dcs-down and dcs-up without units, and refuses a unit', () => {
    expect(parseChaosArgs(['dcs-down'])).toEqual({ kind: 'dcs', down: true });
    expect(parseChaosArgs(['dcs-up'])).toEqual({ kind: 'dcs', down: false });
    expect(() => parseChaosArgs(['dcs-down', 'postgresql-k8s/0'])).toThrow(/dcs-down acts on the whole DCS and takes no unit \(got postgresql-k8s\/0\)/);
  });

  it('keeps kill-pod and kill-all-pods with their flags', () => {
    expect(parseChaosArgs(['kill-pod', 'a/0'])).toEqual({ kind: 'kill', units: ['a/0'], wait: true, timeoutMs: 15 * 60_000 });
    expect(parseChaosArgs(['kill-all-pods', '--no-wait', '--timeout', '90s'])).toEqual({ kind: 'kill', units: undefined, wait: false, timeoutMs: 90_000 });
    expect(() => parseChaosArgs(['kill-all-pods', 'a/0'])).toThrow(/kill-all-pods takes no unit/);
    expect(() => parseChaosArgs(['kill-pod'])).toThrow(/kill-pod needs at least one unit/);
  });

  it('refuses the kill flags on other verbs, an unknown verb, no verb and an unknown flag', () => {
    expect(() => parseChaosArgs(['dcs-down', '--timeout', '1m'])).toThrow(/--no-wait and --timeout are for kill-pod and kill-all-pods, not dcs-down/);
    expect(() => parseChaosArgs(['disk-full', 'a/0', '--no-wait'])).toThrow(/not disk-full/);
    expect(() => parseChaosArgs(['fill-disk', 'a/0'])).toThrow(/unknown chaos verb "fill-disk"/);
    expect(() => parseChaosArgs([])).toThrow(/chaos needs a verb/);
    expect(() => parseChaosArgs(['freeze', 'a/0', '--hard'])).toThrow(expect.objectContaining({ code: 'sandbox-usage' }));
  });

  it('refuses a bad --timeout with the duration format', () => {
    expect(() => parseChaosArgs(['kill-all-pods', '--timeout', 'soon'])).toThrow(/is not a duration/);
  });

  it('takes the DCS down on the port of the flavour the sandbox runs', () => {
    expect(dcsPort('kubernetes')).toBe(443);
    expect(dcsPort('etcd')).toBe(2379);
  });
});

describe('chaos support', () => {
  it('dcs-down is one REJECT rule on the DCS port for traffic in over the sandbox bridge, marked with the sandbox id', () => {
    expect(dcsDownRule({ bridge: 'sbxab12-br', bridgeIp: '10.213.0.1', sandboxId: 'ab12' }, 2379)).toEqual([
      'INPUT', '-i', 'sbxab12-br', '-d', '10.213.0.1/32', '-p', 'tcp', '--dport', '2379',
      '-m', 'comment', '--comment', 'sandbox-ab12-dcs-down', '-j', 'REJECT', '--reject-with', 'tcp-reset',
    ]);
  });

  it('partition-dcs drops what the pod sends to either DCS port on the bridge address, and nothing else', () => {
    expect(dcsPartitionRules('10.213.0.1')).toEqual([
      ['OUTPUT', '-d', '10.213.0.1/32', '-p', 'tcp', '--dport', '443', '-j', 'DROP'],
      ['OUTPUT', '-d', '10.213.0.1/32', '-p', 'tcp', '--dport', '2379', '-j', 'DROP'],
    ]);
  });

  it('a volume is an ext4 image in the pod state dir, with no blocks kept back for root', () => {
    expect(volumeImage({ stateDir: '/tmp/s', name: 'postgresql-k8s-0' }, '/var/lib/postgresql/data')).toBe('/tmp/s/pods/units/postgresql-k8s-0/volumes/var_lib_postgresql_data.ext4');
    const args = mkfsArgs('/tmp/x.ext4', 4 * 1024 ** 3);
    expect(args.slice(-2)).toEqual(['/tmp/x.ext4', `${4 * 1024 ** 2}k`]);
    expect(args.join(' ')).toContain('-m 0');
  });

  it('disk-full preallocates all but a margin, which it then writes block by block', () => {
    expect(firstFillBytes(100 * 1024 ** 2)).toBe(92 * 1024 ** 2);
    expect(firstFillBytes(1024)).toBe(0);
  });
});
