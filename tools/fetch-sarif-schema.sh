#!/usr/bin/env bash
# Puts the official SARIF 2.1.0 JSON schema (OASIS, as published by Microsoft: sarif-2.1.0-rtm.5.json) into
# tests/.cache/ (git-ignored) for the SARIF schema test. It comes from the npm package @microsoft/jest-sarif, which ships
# it as lib/schemas/sarif-2.1.0-rtm.5.json; npm keeps the tarball in its own cache. The test pins the file's SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=tests/.cache/sarif-2.1.0-rtm.5.json
[ -s "$dest" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
  && tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json)
mkdir -p tests/.cache
mv "$tmp/package/lib/schemas/sarif-2.1.0-rtm.5.json" "$dest"
