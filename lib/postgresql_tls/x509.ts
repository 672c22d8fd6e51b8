/**
 * @peculiar/x509, loaded after the Reflect metadata polyfill its dependency injection
 * (tsyringe) needs. Import x509 from here, never directly, so the order always holds.
 */
import 'reflect-metadata';

export * from '@peculiar/x509';
