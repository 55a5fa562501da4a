#!/usr/bin/env bash
# The one build script of the Portcullis images (docker/sidecar.Dockerfile, docker/emulator.Dockerfile)
# and of test/e2e/docker-build.test.ts, which runs it on a machine without a Docker engine.
#
#   docker/build.sh <sidecar|emulator> <output-dir>
#
# 1. copies the sources the target needs into a scratch directory (never touching the checkout's
#    own node_modules or dist/, so it is safe to run from a developer's tree);
# 2. `npm ci` from the lockfile there (dev dependencies included: TypeScript builds the dist);
# 3. `tsc -b packages/<target>` (project references build core/redis first);
# 4. lays out <output-dir> as the image's /app: the root package.json + lockfile, each needed
#    workspace's package.json + dist, and `npm ci --omit=dev` for the target workspace only, so no
#    devDependency (vitest, typescript, ...) and no other workspace's dependency ends up in it.
#
# Result: node <output-dir>/packages/<target>/dist/cli.js
#
# Environment: BUILD_NPM_FLAGS (extra npm ci flags, e.g. --prefer-offline), BUILD_KEEP_SCRATCH=1
# keeps the scratch directory for debugging.
set -euo pipefail

usage() {
  echo "usage: $0 <sidecar|emulator> <output-dir>" >&2
  exit 2
}

[ "$#" -eq 2 ] || usage
target="$1"
out="$2"
case "$target" in
  # Each target lists the workspaces it runs with (its own and its @portcullis dependencies).
  sidecar) workspaces=(core redis sidecar) ;;
  emulator) workspaces=(emulator) ;;
  *) usage ;;
esac

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [ -n "$(ls -A "$out")" ]; then
  echo "build.sh: output directory $out is not empty" >&2
  exit 2
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/portcullis-build.XXXXXX")"
cleanup() {
  if [ "${BUILD_KEEP_SCRATCH:-0}" != 1 ]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT

# npm ci refuses a tree where a workspace of the root package.json is missing, so every
# workspace's package.json is copied; only the target's workspaces get their sources.
all_workspaces="$(node -e 'for (const w of require(process.argv[1]).workspaces) console.log(w)' "$src/package.json")"
copy_manifests() {
  local dest="$1"
  cp "$src/package.json" "$src/package-lock.json" "$dest/"
  local ws
  for ws in $all_workspaces; do
    mkdir -p "$dest/$ws"
    cp "$src/$ws/package.json" "$dest/$ws/"
  done
}

npm_flags=(--no-audit --no-fund --loglevel=error)
# shellcheck disable=SC2206 # word splitting of the extra flags is intended
[ -n "${BUILD_NPM_FLAGS:-}" ] && npm_flags+=(${BUILD_NPM_FLAGS})

echo "== build.sh: $target → $out (scratch $scratch)"
copy_manifests "$scratch"
cp "$src/tsconfig.base.json" "$scratch/"
for ws in "${workspaces[@]}"; do
  cp "$src/packages/$ws/tsconfig.json" "$scratch/packages/$ws/"
  cp -R "$src/packages/$ws/src" "$scratch/packages/$ws/src"
done

echo "== npm ci (with dev dependencies, to compile)"
(cd "$scratch" && npm ci --ignore-scripts "${npm_flags[@]}")

echo "== tsc -b packages/$target"
(cd "$scratch" && ./node_modules/.bin/tsc -b "packages/$target")

echo "== production layout"
copy_manifests "$out"
for ws in "${workspaces[@]}"; do
  cp -R "$scratch/packages/$ws/dist" "$out/packages/$ws/dist"
  # Build metadata and source maps of declarations are not needed at run time.
  find "$out/packages/$ws/dist" \( -name '*.tsbuildinfo' -o -name '.tsbuildinfo' -o -name '*.d.ts.map' \) -delete
done
(cd "$out" && npm ci --omit=dev --ignore-scripts --workspace "packages/$target" \
  --include-workspace-root=false "${npm_flags[@]}")
chmod +x "$out/packages/$target/dist/cli.js"

echo "== done: node $out/packages/$target/dist/cli.js"
