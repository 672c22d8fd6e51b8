/** The LogQL the Loki stand-in understands: a stream selector and an optional `|= "text"` filter. */

export type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string };

/** `{a="x", b=~"y.*"} |= "text"` → matchers and line filter; throws on anything else. */
export function parseQuery(query: string): { matchers: Matcher[]; contains?: string } {
  const match = /^\s*\{(.*)\}\s*(?:\|=\s*"((?:[^"\\]|\\.)*)")?\s*$/s.exec(query);
  if (!match) throw new Error('only a stream selector with an optional |= "text" filter is supported');
  const matchers: Matcher[] = [];
  const body = match[1] ?? '';
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/gy;
  let consumed = 0;
  for (let m = re.exec(body); m !== null && m[0] !== ''; m = re.exec(body)) {
    matchers.push({ name: m[1]!, op: m[2] as Matcher['op'], value: JSON.parse(`"${m[3]}"`) as string });
    consumed = re.lastIndex;
  }
  if (body.slice(consumed).trim() !== '') throw new Error(`cannot parse matchers: ${body}`);
  return { matchers, ...(match[2] === undefined ? {} : { contains: JSON.parse(`"${match[2]}"`) as string }) };
}

export function matches(labels: Record<string, string>, matcher: Matcher): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return new RegExp(`^(?:${matcher.value})$`).test(value);
    case '!~':
      return !new RegExp(`^(?:${matcher.value})$`).test(value);
  }
}

