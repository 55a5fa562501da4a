/**
 * Profiling aid (never used by `npm run bench`): `BENCH_OVERRIDE='{"@portcullis/core":"/tmp/x/dist/index.js"}'`
 * makes a server load a patched copy of a package, to measure a proposed fix before/after
 * without touching the package itself. Registered by `override.mjs` with `node --import`.
 */
import { pathToFileURL } from 'node:url';

const overrides = JSON.parse(process.env.BENCH_OVERRIDE ?? '{}');

export async function resolve(specifier, context, nextResolve) {
  const target = overrides[specifier];
  if (target !== undefined) return { url: pathToFileURL(target).href, shortCircuit: true };
  return nextResolve(specifier, context);
}
