/**
 * The `s3-parameters` relation (interface `s3`, data_platform_libs `s3.py` v0 `S3Requirer`): the
 * leader asks for a bucket named `relation-<id>` in our application bag (the library's default
 * when the charm names none), and s3-integrator answers in its application bag.
 */
import type { HookTools, RelationRef } from '../juju/hook-tools.ts';
import type { KnownEvent } from '../juju/dispatcher.ts';
import { readS3Parameters, type S3ParametersRead } from './s3-parameters.ts';
import { S3_ENDPOINT } from './messages.ts';

export type S3RelationTools = Pick<HookTools, 'relationIds' | 'relationRemoteApp' | 'relationGet' | 'relationSet'>;

export interface S3Relation {
  readonly ref: RelationRef;
  readonly read: S3ParametersRead;
}

/** The relation breaking in this hook counts as gone (as ops leaves it out of `Model.relations`). */
function isBreaking(event: KnownEvent | undefined, ref: RelationRef): boolean {
  return event !== undefined && event.kind === 'relation-broken' && event.endpoint === S3_ENDPOINT && event.relation.id === ref.id;
}

/** The relation and what it gives, or undefined without one. The leader also asks for the default bucket. */
export async function readS3Relation(
  tools: S3RelationTools,
  options: { appName: string; isLeader: boolean; event?: KnownEvent },
): Promise<S3Relation | undefined> {
  const ref = (await tools.relationIds(S3_ENDPOINT)).find((candidate) => !isBreaking(options.event, candidate));
  if (ref === undefined) return undefined;
  if (options.isLeader) {
    const ours = await tools.relationGet(ref, { app: options.appName });
    if (!ours['bucket']) await tools.relationSet(ref, { bucket: `relation-${ref.id}` }, { app: true });
  }
  const remoteApp = await tools.relationRemoteApp(ref);
  const bag = remoteApp === undefined ? {} : await tools.relationGet(ref, { app: remoteApp });
  return { ref, read: readS3Parameters(bag) };
}
