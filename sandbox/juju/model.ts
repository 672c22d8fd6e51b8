/**
 * The sandbox's Juju model: schemas (plain serialisable data), the changes an operator makes
 * (deploy, add-unit, integrate, config, run) and atomic persistence. The hook-tool engine in
 * ./engine reads and writes the same objects.
 */
export * from './model/schema.ts';
export * from './model/names.ts';
export * from './model/topology.ts';
export * from './model/actions.ts';
export * from './model/store.ts';
export { ModelStoreError, SandboxModelError } from './errors.ts';
