/** Errors the workload's pure core raises: bad names, no usable DCS, values unsafe to render. */
import { CharmError } from '../errors.ts';

export type WorkloadErrorCode =
  | 'invalid-unit-name'
  | 'dcs-not-configured'
  | 'invalid-dcs-setting'
  | 'invalid-hba-value'
  | 'invalid-patroni-setting'
  | 'invalid-ldap-setting';

/** A Juju unit name that is not `<app>/<number>`, or a pod name that is not `<app>-<number>`. */
export class InvalidUnitNameError extends CharmError<WorkloadErrorCode> {
  readonly value: string;

  constructor(value: string, expected: string) {
    super('invalid-unit-name', `${JSON.stringify(value)} is not a valid ${expected}`);
    this.value = value;
  }
}

/**
 * Neither DCS variable is set: without a Kubernetes API and without etcd endpoints Patroni has
 * nowhere to keep its leader lock, so the workload cannot be configured at all.
 */
export class DcsNotConfiguredError extends CharmError<WorkloadErrorCode> {
  constructor(etcdVariable: string, kubernetesVariable: string) {
    super(
      'dcs-not-configured',
      `no DCS for Patroni: set ${etcdVariable} (etcd3 endpoints, host:port,...) ` +
        `or run where ${kubernetesVariable} is set (Kubernetes)`,
    );
  }
}

/** A DCS variable is set but its value cannot be used (bad host list, protocol, CA path...). */
export class InvalidDcsSettingError extends CharmError<WorkloadErrorCode> {
  readonly variable: string;

  constructor(variable: string, value: string, reason: string) {
    super('invalid-dcs-setting', `${variable}=${JSON.stringify(value)}: ${reason}`);
    this.variable = variable;
  }
}

/**
 * A value that would break (or inject into) a pg_hba.conf line: a newline or NUL in a user,
 * database or LDAP option. Patroni writes each rule as one line, so these cannot be escaped.
 */
export class InvalidHbaValueError extends CharmError<WorkloadErrorCode> {
  constructor(what: string) {
    super('invalid-hba-value', `${what} contains a line break or NUL and cannot go into pg_hba.conf`);
  }
}

/** A setting for the Patroni configuration that cannot be rendered as given. */
export class InvalidPatroniSettingError extends CharmError<WorkloadErrorCode> {
  constructor(message: string) {
    super('invalid-patroni-setting', message);
  }
}

/** LDAP settings from the relation that cannot be turned into the ldap-sync environment. */
export class InvalidLdapSettingError extends CharmError<WorkloadErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-ldap-setting', message, options);
  }
}
