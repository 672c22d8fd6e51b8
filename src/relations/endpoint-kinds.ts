/**
 * The client endpoint kinds the reconcile serves, in order. A new kind (the legacy `db` /
 * `db-admin`) is added here, and nowhere else.
 */
import { databaseEndpointKind } from './database/provider.ts';
import type { ClientEndpointKind } from './endpoint-kind.ts';
import { legacyEndpointKind } from './legacy/provider.ts';

export const CLIENT_ENDPOINT_KINDS: readonly ClientEndpointKind[] = [databaseEndpointKind, legacyEndpointKind];
