/**
 * The dashboards as the real consumer reads them: grafana-k8s decompresses `content` with Python's
 * `lzma.decompress` after base64 (cosl LZMABase64). Python here also compresses the prepared
 * dashboard the way the grafana_dashboard library does (`lzma.compress(json.dumps(d))`), and the
 * charm's bytes must be exactly those.
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { buildCosAssets } from '../../../scripts/cos-assets.ts';

const REPO = new URL('../../../', import.meta.url).pathname;

const PYTHON = `
import base64, hashlib, json, lzma, sys
out = {}
for item in json.load(sys.stdin):
    stem = item["key"][len("file:"):]
    decoded = json.loads(lzma.decompress(base64.b64decode(item["content"])))
    source = json.load(open("src/grafana_dashboards/%s.json" % stem))
    source["uid"] = hashlib.shake_256(("postgresql-k8s-src/grafana_dashboards/%s.json" % stem).encode()).hexdigest(20)
    source["tags"].append("charm: postgresql-k8s")
    ours = base64.b64encode(lzma.compress(json.dumps(source).encode())).decode()
    out[item["key"]] = {"uid": decoded["uid"], "same_as_library": ours == item["content"], "equal": decoded == source}
print(json.dumps(out))
`;

describe('dashboards under Python lzma', () => {
  it('decompress in Python to the prepared dashboard, in the very bytes the library would send', async () => {
    const assets = await buildCosAssets(REPO);
    const result = await execa('python3', ['-c', PYTHON], { cwd: REPO, input: JSON.stringify(assets.dashboards) });
    const seen = JSON.parse(result.stdout) as Record<string, { uid: string; same_as_library: boolean; equal: boolean }>;
    expect(Object.keys(seen)).toHaveLength(3);
    for (const [key, check] of Object.entries(seen)) {
      expect(check, key).toEqual({ uid: expect.stringMatching(/^[0-9a-f]{40}$/), same_as_library: true, equal: true });
    }
  });
});
