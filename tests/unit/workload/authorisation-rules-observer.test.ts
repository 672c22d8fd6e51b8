import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { splitCommand } from '../../../sandbox/pebble/util/command.ts';
import {
  AUTHORISATION_FACTS_QUERY,
  AUTHORISATION_RULES_CHANGED_NOTICE,
  authorisationRulesObserverScript,
  authorisationRulesObserverService,
  buildPebbleLayer,
  kubernetesDcs,
  SERVICE_AUTHORISATION_RULES_OBSERVER,
  workloadPaths,
} from '../../../src/workload/index.ts';

/** canonical/pebble internals/daemon/api_notices.go: what a custom notice key must look like. */
const PEBBLE_CUSTOM_KEY = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;

const layerInput = { unitName: 'postgresql-k8s/2', dcs: kubernetesDcs({ app: 'postgresql-k8s', model: 'dev' }), patroniApiTls: false } as const;

describe('the authorisation rules observer service', () => {
  it('is in the layer, as root, with libpq settings for this member and the monitoring user', () => {
    const service = buildPebbleLayer({ ...layerInput, monitoringPassword: 'Mon1toring' }).services?.[SERVICE_AUTHORISATION_RULES_OBSERVER];
    expect(service).toEqual({
      override: 'replace',
      summary: 'tell the charm when users, databases or their grants change',
      command: `/bin/sh -c '${authorisationRulesObserverScript()}'`,
      startup: 'enabled',
      environment: {
        PGHOST: '/var/run/postgresql',
        PGPORT: '5432',
        PGUSER: 'monitoring',
        PGPASSFILE: '/var/lib/postgresql/data/monitoring.pgpass',
        PGDATABASE: 'postgres',
        PGCONNECT_TIMEOUT: '5',
        PGAPPNAME: 'authorisation-rules-observer',
      },
    });
    // Juju only hands on notices root records (canonical/operator#2639): no user, no group.
    expect(service).not.toHaveProperty('user');
    expect(service).not.toHaveProperty('group');
  });

  it('is defined but not started, with no environment, until the monitoring password exists', () => {
    const service = buildPebbleLayer(layerInput).services?.[SERVICE_AUTHORISATION_RULES_OBSERVER];
    expect(service).toMatchObject({ startup: 'disabled' });
    expect(service).not.toHaveProperty('environment');
  });

  it('follows moved paths and ports', () => {
    const service = authorisationRulesObserverService({ monitoringPassword: 'x', paths: workloadPaths('/srv/pg', { socketDir: '/srv/run' }), postgresqlPort: 6543 });
    expect(service.environment).toMatchObject({ PGHOST: '/srv/run', PGPORT: '6543' });
  });

  it('is a command Pebble splits into sh, -c and the whole script', () => {
    const script = authorisationRulesObserverScript();
    const command = authorisationRulesObserverService({}).command!;
    expect(splitCommand(command)).toEqual(['/bin/sh', '-c', script]);
  });
});

describe('authorisationRulesObserverScript', () => {
  const script = authorisationRulesObserverScript();

  it('is valid POSIX sh', () => {
    expect(() => execFileSync('/bin/sh', ['-n', '-c', script])).not.toThrow();
  });

  it('reads the digest with psql, never prompting, and notifies our key through Pebble, /charm/bin first', () => {
    expect(AUTHORISATION_RULES_CHANGED_NOTICE).toMatch(PEBBLE_CUSTOM_KEY);
    expect(script).toContain('PATH="/charm/bin:$PATH"');
    expect(script).toContain(`"psql" -X -q -A -t -w -v ON_ERROR_STOP=1 -c "${AUTHORISATION_FACTS_QUERY}"`);
    expect(script).toContain(`"pebble" notify "${AUTHORISATION_RULES_CHANGED_NOTICE}" >/dev/null`);
    expect(script).toMatch(/\n {2}sleep 5\ndone$/);
  });

  it('notifies only when a later digest differs from the last one it kept', () => {
    // The first read only records; a failed notify keeps the old digest, so the next read tries again.
    expect(script).toContain('if [ -z "$last" ] || [ "$digest" = "$last" ]; then last=$digest\n');
    expect(script).toContain('elif "pebble" notify');
  });

  it('hashes the facts pg_hba rules come from, and nothing that changes with a password', () => {
    for (const fact of ['rolname', 'rolsuper', 'rolinherit', 'rolcanlogin', 'pg_auth_members', 'datname', 'datdba', 'datistemplate', 'datacl']) {
      expect(AUTHORISATION_FACTS_QUERY).toContain(fact);
    }
    expect(AUTHORISATION_FACTS_QUERY).not.toMatch(/rolpassword|rolvaliduntil|pg_authid/);
    expect(AUTHORISATION_FACTS_QUERY).toMatch(/^SELECT sha256\(/);
  });

  it('takes the interval, key and commands it is given, and refuses what would break its quoting', () => {
    const custom = authorisationRulesObserverScript({ intervalSeconds: 1, noticeKey: 'example.com/x', psql: '/usr/bin/psql', pebble: '/tmp/bin/pebble' });
    expect(custom).toContain('sleep 1\n');
    expect(custom).toContain('"/tmp/bin/pebble" notify "example.com/x"');
    expect(custom).toContain('"/usr/bin/psql" -X');
    expect(() => authorisationRulesObserverScript({ intervalSeconds: 0 })).toThrow(RangeError);
    expect(() => authorisationRulesObserverScript({ intervalSeconds: 2.5 })).toThrow(RangeError);
    expect(() => authorisationRulesObserverScript({ noticeKey: "a'b" })).toThrow(TypeError);
    expect(() => authorisationRulesObserverScript({ psql: 'psql"; rm -rf /' })).toThrow(TypeError);
    expect(() => authorisationRulesObserverScript({ pebble: '$(evil)' })).toThrow(TypeError);
  });

  it('has no password in it or in its environment: libpq reads the pgpass file PGPASSFILE names', () => {
    const command = authorisationRulesObserverService({ monitoringPassword: 'S3cretPw' }).command!;
    expect(command).not.toContain('S3cretPw');
    expect(JSON.stringify(authorisationRulesObserverService({ monitoringPassword: 'S3cretPw' }))).not.toContain('S3cretPw');
    expect(script).not.toMatch(/PGPASSWORD|password/i);
  });
});
