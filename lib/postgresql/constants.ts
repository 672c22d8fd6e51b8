/**
 * Names and tables shared by the charm and the SQL helpers (the module constants of the
 * reference's `lib/charms/postgresql_k8s/v0/postgresql.py`).
 */

export const ACCESS_GROUP_IDENTITY = 'identity_access';
export const ACCESS_GROUP_INTERNAL = 'internal_access';
export const ACCESS_GROUP_RELATION = 'relation_access';
export const ACCESS_GROUPS: readonly string[] = [
  ACCESS_GROUP_IDENTITY,
  ACCESS_GROUP_INTERNAL,
  ACCESS_GROUP_RELATION,
];

/** NOLOGIN role whose members may read and write all data. */
export const PERMISSIONS_GROUP_ADMIN = 'admin';

export const INVALID_EXTRA_USER_ROLE_BLOCKING_MESSAGE = 'invalid role(s) for extra user roles';

/** Role attributes a client may ask for through extra-user-roles. */
export const VALID_PRIVILEGES: readonly string[] = ['createdb', 'createrole', 'superuser'];

/** Extension → the extensions it needs enabled first. */
export const REQUIRED_PLUGINS: Readonly<Record<string, readonly string[]>> = {
  address_standardizer: ['postgis'],
  address_standardizer_data_us: ['postgis'],
  jsonb_plperl: ['plperl'],
  postgis_raster: ['postgis'],
  postgis_tiger_geocoder: ['postgis', 'fuzzystrmatch'],
  postgis_topology: ['postgis'],
};

/**
 * Every extension something else depends on, in first-seen order. The reference uses a Python
 * set (arbitrary order); a fixed order makes our statement sequence reproducible.
 */
export const DEPENDENCY_PLUGINS: readonly string[] = [
  ...new Set(Object.values(REQUIRED_PLUGINS).flat()),
];

/** Option prefixes that make an option a PostgreSQL parameter (reference: `build_postgresql_parameters`). */
export const PARAMETER_OPTION_PREFIXES: readonly string[] = [
  'connection',
  'cpu',
  'durability',
  'instance',
  'logging',
  'memory',
  'optimizer',
  'request',
  'response',
  'session',
  'storage',
  'vacuum',
];
