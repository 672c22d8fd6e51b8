/** The shared PostgreSQL library: import from here. */
export * from './catalog.ts';
export * from './connection.ts';
export * from './constants.ts';
export * from './databases.ts';
export * from './errors.ts';
export * from './extensions.ts';
export * from './group-map.ts';
export * from './parameters.ts';
export * from './plugins.ts';
export * from './postgresql.ts';
export * from './roles.ts';
export * from './scram.ts';
export * from './sql.ts';
export * from './workers.ts';
