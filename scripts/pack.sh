#!/usr/bin/env bash
# Builds the .charm that `juju deploy` takes, without charmcraft: the same layout charmcraft
# produces from charmcraft.yaml (dispatch, manifest.yaml, metadata/config/actions.yaml, the
# bundle) plus the Node runtime of this machine's architecture, which the charm container lacks.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/charm.cjs ] || { echo "pack: dist/charm.cjs missing; run npm run build first" >&2; exit 1; }

arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
stage=build/charm
out="postgresql-k8s_ubuntu@22.04-${arch}.charm"

rm -rf "$stage" "$out"
mkdir -p "$stage/node/bin"
cp dispatch metadata.yaml config.yaml actions.yaml LICENSE "$stage/" 2>/dev/null || true
for f in dispatch metadata.yaml config.yaml actions.yaml; do
  [ -f "$stage/$f" ] || { echo "pack: $f missing" >&2; exit 1; }
done
cp -r dist "$stage/dist"
cp "$(node -p process.execPath)" "$stage/node/bin/node"
chmod 0755 "$stage/dispatch" "$stage/node/bin/node"

cat > "$stage/manifest.yaml" <<MANIFEST
analysis:
  attributes:
  - name: language
    result: javascript
  - name: framework
    result: postgresql-k8s-ts
charmcraft-started-at: '$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)'
charmcraft-version: 3.2.0
bases:
- name: ubuntu
  channel: '22.04'
  architectures:
  - ${arch}
MANIFEST

# -X drops extra file attributes; unix modes (dispatch's exec bit) are kept by zip.
(cd "$stage" && zip -qrX "../../$out" .)
echo "pack: wrote $out ($(du -h "$out" | cut -f1))"
