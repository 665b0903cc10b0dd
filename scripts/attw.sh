#!/usr/bin/env bash
# Are the types wrong? Packs the built package (dist/, without running prepack again) and checks
# how each entry point resolves for node10, node16 (ESM and CJS) and bundlers.
# cjs-resolves-to-esm is expected and ignored: the package is ESM only, and Node >= 20.19 (our
# engines range) loads it through require(); the README shows the CommonJS form.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
npm pack --ignore-scripts --silent --pack-destination "$dir" > /dev/null
npx attw "$dir"/*.tgz --ignore-rules cjs-resolves-to-esm
