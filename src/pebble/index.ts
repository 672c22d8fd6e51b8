/** The Pebble client: `PebbleClient.forContainer('postgresql')` in production. */
export { PebbleClient, type ChangesFilter, type PebbleClientOptions } from './client.ts';
export {
  ChangeError,
  ExecError,
  PathError,
  PebbleApiError,
  PebbleConnectionError,
  PebbleProtocolError,
  PebbleTimeoutError,
} from './errors.ts';
export type { ExecOptions, ExecOutput, ExecProcess } from './exec.ts';
export type { ListFilesOptions, MakeDirOptions, PushOptions } from './files.ts';
export type { AddLayerOptions } from './layers.ts';
export type { ServiceActionName, ServiceActionOptions } from './services.ts';
export type * from './types.ts';
