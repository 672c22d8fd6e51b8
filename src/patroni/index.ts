/** The Patroni REST client and the pure questions asked of its answers. */
export * from './client.ts';
export * from './cluster.ts';
export * from './errors.ts';
export * from './retry.ts';
export * from './schemas.ts';
export * from './synchronous.ts';
export { classifyNetworkError } from './http.ts';
