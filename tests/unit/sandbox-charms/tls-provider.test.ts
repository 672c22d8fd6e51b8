import { describe, expect, it } from 'vitest';
import { prepareCertificateRequest } from '../../../lib/postgresql_tls/index.ts';
import { parseDuration } from '../../../sandbox/charms/tls-provider/src/ca.ts';
import { parseConfig, planCertificates } from '../../../sandbox/charms/tls-provider/src/provider.ts';

const names = (n: number) => ({ appName: 'pg', unitName: `pg/${n}`, unitHostname: `pg-${n}.pg-endpoints` });

describe('tls-provider', () => {
  it('reads durations in s/m/h/d (a bare number is days) and refuses others', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('4m')).toBe(240_000);
    expect(parseDuration('30')).toBe(30 * 86_400_000);
    expect(() => parseDuration('soon')).toThrow(/invalid duration "soon"/);
  });

  it('takes the defaults of self-signed-certificates and refuses an unknown test fault', () => {
    expect(parseConfig({})).toEqual({ caCommonName: 'self-signed-certificates-operator', certificateValidityMs: 90 * 86_400_000, caValidityMs: 365 * 86_400_000, fault: '' });
    expect(() => parseConfig({ 'test-fault': 'sometimes' })).toThrow(/test-fault must be one of/);
  });

  it('keeps certificates of this CA whose CSR is still asked for, issues the rest once, drops the others', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(async (n) => (await prepareCertificateRequest(names(n))).csrPem));
    const existing = [
      { csr: a!, certificate: 'A', ca: 'CA', chain: ['A', 'CA'], revoked: false },
      { csr: b!, certificate: 'B', ca: 'OLD-CA', chain: ['B', 'OLD-CA'], revoked: false },
      { csr: 'gone', certificate: 'G', ca: 'CA', chain: [], revoked: false },
    ];
    const plan = planCertificates([a!, b!, c!, c!], existing, 'CA');
    expect(plan.keep.map((entry) => entry.certificate)).toEqual(['A']);
    expect(plan.issue).toEqual([b, c]);
  });
});
