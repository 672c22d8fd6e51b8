/**
 * Who becomes an application's leader. In Juju the unit agents race to claim the lease and the
 * first claim wins (juju/juju 3.6, internal/worker/leadership: the tracker's ClaimLeader), so
 * any live unit may lead and a charm must not expect unit 0 to. The sandbox picks one of the
 * candidates at random; with a seed (`SANDBOX_LEADER_SEED`) the pick is a pure function of the
 * seed, the application and the candidates, so tests and bug reports can replay it.
 */
export function chooseLeader(app: string, candidates: readonly string[], seed?: string): string | undefined {
  if (candidates.length === 0) return undefined;
  if (seed === undefined || seed === '') return candidates[Math.floor(Math.random() * candidates.length)];
  return candidates[fnv1a(`${seed}|${app}|${candidates.join(',')}`) % candidates.length];
}

/** 32-bit FNV-1a. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
