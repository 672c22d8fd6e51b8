import { CharmError } from '../errors.ts';
import type { HookTools, RelationRef } from '../juju/hook-tools.ts';
import {
  decodeBag,
  encodeBag,
  type CodecMap,
  type Decoded,
  type FieldIssue,
  type FieldCodec,
} from './codecs.ts';
import { appPeerCodecs, PEER_RELATION, unitPeerCodecs } from './peer-schemas.ts';

/** The hook tools the store uses (a `HookTools` instance; narrowed so tests see the dependency). */
export type RelationDataAccess = Pick<HookTools, 'relationIds' | 'relationGet' | 'relationSet' | 'relationList' | 'isLeader'>;

/**
 * What a read gives: the typed bag, or why there is none. Handlers branch on `status`; nothing
 * here throws for a missing relation or a malformed value, because early hooks (install,
 * leader-elected before the peer relation exists) and other charm revisions legitimately see both.
 */
export type BagRead<T> =
  | { status: 'ok'; data: T; extra: Record<string, string> }
  | { status: 'no-peer-relation' }
  | { status: 'malformed'; data: T; extra: Record<string, string>; issues: FieldIssue[] };

export type PeerDataErrorCode = 'not-leader' | 'no-peer-relation';

export class PeerDataError extends CharmError<PeerDataErrorCode> {}

type Update<M extends CodecMap> = { [K in keyof M]?: (M[K] extends FieldCodec<infer T> ? T : never) | null };

export class PeerDataStore {
  private relationPromise: Promise<RelationRef | undefined> | undefined;

  constructor(
    private readonly tools: RelationDataAccess,
    private readonly names: { app: string; unit: string },
    private readonly endpoint: string = PEER_RELATION,
  ) {}

  /** The peer relation, or undefined before Juju has created it. */
  relation(): Promise<RelationRef | undefined> {
    this.relationPromise ??= this.tools.relationIds(this.endpoint).then((refs) => refs[0]);
    return this.relationPromise;
  }

  /** Units of the application other than this one that are in the peer relation. */
  async peerUnits(): Promise<readonly string[]> {
    const relation = await this.relation();
    return relation === undefined ? [] : this.tools.relationList(relation);
  }

  readApp(): Promise<BagRead<Decoded<typeof appPeerCodecs>>> {
    return this.read(appPeerCodecs, this.names.app, true);
  }

  readUnit(unit: string = this.names.unit): Promise<BagRead<Decoded<typeof unitPeerCodecs>>> {
    return this.read(unitPeerCodecs, unit, false);
  }

  /** Leader only: Juju refuses app-bag writes from other units, so fail early and clearly. */
  async writeApp(update: Update<typeof appPeerCodecs>): Promise<void> {
    if (!(await this.tools.isLeader())) {
      throw new PeerDataError('not-leader', `only the leader can write the ${this.endpoint} application data`);
    }
    await this.write(encodeBag(appPeerCodecs, update), true);
  }

  async writeUnit(update: Update<typeof unitPeerCodecs>): Promise<void> {
    await this.write(encodeBag(unitPeerCodecs, update), false);
  }

  private async read<M extends CodecMap>(codecs: M, member: string, app: boolean): Promise<BagRead<Decoded<M>>> {
    const relation = await this.relation();
    if (relation === undefined) return { status: 'no-peer-relation' };
    const raw = await this.tools.relationGet(relation, app ? { app: member } : { unit: member });
    const { data, extra, issues } = decodeBag(codecs, { ...raw });
    return issues.length === 0 ? { status: 'ok', data, extra } : { status: 'malformed', data, extra, issues };
  }

  private async write(data: Record<string, string>, app: boolean): Promise<void> {
    if (Object.keys(data).length === 0) return;
    const relation = await this.relation();
    if (relation === undefined) {
      throw new PeerDataError('no-peer-relation', `the ${this.endpoint} relation does not exist yet`);
    }
    await this.tools.relationSet(relation, data, { app });
  }
}
