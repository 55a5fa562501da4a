/**
 * docs/operations.md lists every metric the sidecar exposes. This test starts a real sidecar
 * (loopback, ports 0; the oauth2 preset contacts no IdP until a request comes) and compares the
 * `portcullis_*` metrics of its registry with the metric table of the doc, both ways.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, startSidecar } from '@portcullis/sidecar';
import type { RunningSidecar } from '@portcullis/sidecar';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

describe('docs/operations.md', () => {
  let sidecar: RunningSidecar;

  beforeAll(async () => {
    sidecar = await startSidecar(
      loadConfig({
        PORTCULLIS_PROVIDER: 'oauth2',
        PORTCULLIS_ISSUER: 'https://issuer.invalid',
        PORTCULLIS_AUDIENCE: 'docs',
        PORTCULLIS_LISTEN: '127.0.0.1:0',
        PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
        PORTCULLIS_LOG_LEVEL: 'silent',
      }),
    );
  });

  afterAll(async () => {
    await sidecar?.close();
  });

  it('documents every portcullis_* metric, with its type, and no metric that does not exist', async () => {
    const exposed = new Map(
      (await sidecar.metrics.registry.getMetricsAsJSON())
        .filter((metric) => metric.name.startsWith('portcullis_'))
        .map((metric) => [metric.name, String(metric.type)]),
    );
    // The metric table: | `name` | type | labels | meaning |
    const documented = new Map(
      [...doc.matchAll(/^\| `(portcullis_[a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
    expect([...documented.keys()].sort(), 'metrics in docs/operations.md').toEqual(
      [...exposed.keys()].sort(),
    );
    for (const [name, type] of exposed) expect(documented.get(name), name).toBe(type);
    // The metrics are really served on the admin listener.
    const text = await fetch(`${sidecar.adminUrl}/metrics`).then((response) => response.text());
    for (const name of exposed.keys()) expect(text).toContain(`# TYPE ${name} `);
  });

  it('names only portcullis_* metrics that exist anywhere in the text', async () => {
    const exposed = new Set(
      (await sidecar.metrics.registry.getMetricsAsJSON()).map((metric) => metric.name),
    );
    const mentioned = new Set([...doc.matchAll(/\bportcullis_[a-z_]+[a-z]\b/g)].map((m) => m[0]));
    expect([...mentioned].filter((name) => !exposed.has(name))).toEqual([]);
  });
});
