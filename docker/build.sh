#!/usr/bin/env bash
# The one build script of the Portcullis images (docker/sidecar.Dockerfile, docker/emulator.Dockerfile)
# and of test/e2e/docker-build.test.ts, which runs it on a machine without a Docker engine.
#
#   docker/build.sh <sidecar|emulator> <output-dir> [<sidecar|emulator> <output-dir>]
#
# Several target/output pairs share one scratch tree, one `npm ci` and one compile (the build
# test lays out both images this way).
#
# 1. copies the sources the target needs into a scratch directory (never touching the checkout's
#    own node_modules or dist/, so it is safe to run from a developer's tree);
# 2. `npm ci` from the lockfile there (dev dependencies included: TypeScript builds the dist);
# 3. `tsc -b packages/<target>` (project references build core/redis first);
# 4. lays out <output-dir> as the image's /app: the root package.json + lockfile, each needed
#    workspace's package.json, dist and the other folders its `files` ship (the emulator's
#    console, the bin wrappers), and `npm ci --omit=dev` for the target workspace only, so no
#    devDependency (vitest, typescript, ...) and no other workspace's dependency ends up in it.
#    npm links the target's bin into <output-dir>/node_modules/.bin (the images put it on PATH).
#
# Result: node <output-dir>/packages/<target>/dist/cli.js, or <output-dir>/node_modules/.bin/<bin>
#
# Environment: BUILD_NPM_FLAGS (extra npm ci flags, e.g. --prefer-offline), BUILD_KEEP_SCRATCH=1
# keeps the scratch directory for debugging.
set -euo pipefail

usage() {
  echo "usage: $0 <sidecar|emulator> <output-dir> [<sidecar|emulator> <output-dir>]" >&2
  exit 2
}

# Each target lists the workspaces it runs with (its own and its @portcullis dependencies).
workspaces_of() {
  case "$1" in
    sidecar) echo core redis sidecar ;;
    emulator) echo emulator ;;
    *) usage ;;
  esac
}

{ [ "$#" -eq 2 ] || [ "$#" -eq 4 ]; } || usage
targets=()
outs=()
while [ "$#" -gt 0 ]; do
  workspaces_of "$1" >/dev/null
  targets+=("$1")
  outs+=("$2")
  shift 2
done

src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
for i in "${!outs[@]}"; do
  mkdir -p "${outs[$i]}"
  outs[i]="$(cd "${outs[$i]}" && pwd)"
  if [ -n "$(ls -A "${outs[$i]}")" ]; then
    echo "build.sh: output directory ${outs[$i]} is not empty" >&2
    exit 2
  fi
done
# The union of the targets' workspaces, each once, in dependency order.
workspaces=()
for ws in core redis sidecar emulator; do
  for target in "${targets[@]}"; do
    case " $(workspaces_of "$target") " in
      *" $ws "*)
        workspaces+=("$ws")
        break
        ;;
    esac
  done
done

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

# The folders a workspace ships besides dist/ and src/ (package.json `files`: console/, bin/).
shipped_folders() {
  node -e '
    const { files = [] } = require(process.argv[1]);
    for (const entry of files) if (!/^(!|dist$|src$)/.test(entry)) console.log(entry);
  ' "$src/packages/$1/package.json"
}

echo "== build.sh: ${targets[*]} (scratch $scratch)"
copy_manifests "$scratch"
cp "$src/tsconfig.base.json" "$scratch/"
for ws in "${workspaces[@]}"; do
  cp "$src/packages/$ws/tsconfig.json" "$scratch/packages/$ws/"
  cp -R "$src/packages/$ws/src" "$scratch/packages/$ws/src"
done

echo "== npm ci (with dev dependencies, to compile)"
(cd "$scratch" && npm ci --ignore-scripts "${npm_flags[@]}")

for target in "${targets[@]}"; do
  echo "== tsc -b packages/$target"
  (cd "$scratch" && ./node_modules/.bin/tsc -b "packages/$target")
done

for i in "${!targets[@]}"; do
  target="${targets[$i]}"
  out="${outs[$i]}"
  echo "== production layout: $target → $out"
  copy_manifests "$out"
  # shellcheck disable=SC2207 # workspace names have no spaces
  target_workspaces=($(workspaces_of "$target"))
  for ws in "${target_workspaces[@]}"; do
    cp -R "$scratch/packages/$ws/dist" "$out/packages/$ws/dist"
    # Build metadata and source maps of declarations are not needed at run time.
    find "$out/packages/$ws/dist" \( -name '*.tsbuildinfo' -o -name '.tsbuildinfo' -o -name '*.d.ts.map' \) -delete
    for folder in $(shipped_folders "$ws"); do
      if [ -e "$src/packages/$ws/$folder" ]; then
        cp -R "$src/packages/$ws/$folder" "$out/packages/$ws/$folder"
      fi
    done
  done
  (cd "$out" && npm ci --omit=dev --ignore-scripts --workspace "packages/$target" \
    --include-workspace-root=false "${npm_flags[@]}")
  chmod +x "$out/packages/$target/dist/cli.js"
  echo "== done: $out/node_modules/.bin ($(ls "$out/node_modules/.bin" | tr '\n' ' '))"
done
