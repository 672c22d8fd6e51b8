/**
 * The client side of the legacy `pgsql` interface, restated in TypeScript from ops-lib-pgsql
 * (`pgsql/client.py`: `_master`, `_standbys`, `_is_ready`, `_csplit`) so tests can check our bags
 * against the rule a real client applies before it uses them. Kept apart from the charm's code on
 * purpose: it must not share a helper with what it checks.
 */

type Bag = Readonly<Record<string, string>>;

/** The client's comma split: items trimmed, empty ones dropped. */
function commaItems(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Whether a bag of ours has acted on the client's request: `database` (unless the client asked for
 * the default, ""), `roles` and `extensions` compare equal as strings (absent = ""), and the
 * client unit's own egress subnets are a subset of the bag's `allowed-subnets`.
 */
export function clientIsReady(requested: Bag, clientUnitBag: Bag, ours: Bag): boolean {
  for (const key of ['database', 'roles', 'extensions']) {
    const got = ours[key] ?? '';
    const want = requested[key] ?? '';
    if (key === 'database' && want === '') continue;
    if (got !== want) return false;
  }
  const allowed = new Set(commaItems(ours['allowed-subnets']));
  return commaItems(clientUnitBag['egress-subnets']).every((subnet) => allowed.has(subnet));
}

/**
 * The `master` the client would use: every bag on the relation but the client's own app bag,
 * sorted by owner name, the first one with a `master` that is ready.
 */
export function clientMaster(requested: Bag, clientUnitBag: Bag, bagsByOwner: Readonly<Record<string, Bag>>): string | undefined {
  for (const owner of Object.keys(bagsByOwner).sort()) {
    const bag = bagsByOwner[owner]!;
    if (bag.master && clientIsReady(requested, clientUnitBag, bag)) return bag.master;
  }
  return undefined;
}

/** The client's `standbys`: the same choice, then one connection string per line. */
export function clientStandbys(requested: Bag, clientUnitBag: Bag, bagsByOwner: Readonly<Record<string, Bag>>): string[] {
  for (const owner of Object.keys(bagsByOwner).sort()) {
    const bag = bagsByOwner[owner]!;
    if (bag.standbys && clientIsReady(requested, clientUnitBag, bag)) return bag.standbys.split(/\r?\n/).filter((line) => line !== '');
  }
  return [];
}

/**
 * A libpq keyword/value string parsed as pgconnstr's `ConnectionString` does: `key = value` or
 * `key = 'quoted value'`, then `\'` and `\\` unescaped.
 */
export function parseConnectionString(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /(\w+)\s*=\s*(?:'((?:\\.|[^'\\])*)'|(\S*))(?=\s|$)/g;
  for (const match of text.matchAll(pattern)) {
    const raw = match[2] ?? match[3] ?? '';
    result[match[1]!] = raw.replace(/\\(['\\])/g, '$1');
  }
  return result;
}
