/**
 * docker/k8s/base + overlays, rendered the way a user renders them (`kubectl kustomize`, with its
 * built-in Kustomize) and checked without a cluster: every rendered document validates against
 * the Kubernetes schemas (kubernetes-models), the generated ConfigMap/Secret names reach the
 * containers, every variable of the sidecar's env table can be set through the generator, the
 * secrets arrive as mounted files, and the result loads with the sidecar's own config loader.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { ENV_VARIABLES, loadConfig } from '@portcullis/sidecar';

const run = promisify(execFile);
const k8sDir = fileURLToPath(new URL('../../docker/k8s/', import.meta.url));
const KUBECTL = '/usr/bin/kubectl';

type Doc = Record<string, any>;

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
};

async function render(dir: string): Promise<Doc[]> {
  const { stdout } = await run(KUBECTL, ['kustomize', dir], { timeout: 60_000 });
  return parseAllDocuments(stdout).map((doc) => {
    expect(doc.errors).toEqual([]);
    return doc.toJS() as Doc;
  });
}

const ofKind = (docs: Doc[], kind: string): Doc[] => docs.filter((doc) => doc['kind'] === kind);
/** The Portcullis container of a rendered overlay (native sidecar or plain container). */
function portcullisContainer(docs: Doc[]): { pod: Doc; container: Doc } {
  for (const deployment of ofKind(docs, 'Deployment')) {
    const pod = deployment['spec']['template']['spec'] as Doc;
    const all = [...((pod['initContainers'] as Doc[]) ?? []), ...(pod['containers'] as Doc[])];
    const container = all.find((c) => c['name'] === 'portcullis');
    if (container) return { pod, container };
  }
  throw new Error('no portcullis container');
}

/** The env the container gets: its ConfigMap through envFrom, then its own entries. */
function containerEnv(docs: Doc[], container: Doc, podIp: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of (container['envFrom'] as Doc[]) ?? []) {
    const name = source['configMapRef']?.['name'] as string;
    const map = ofKind(docs, 'ConfigMap').find((doc) => doc['metadata']['name'] === name);
    expect(map, `envFrom ConfigMap ${name} is rendered`).toBeDefined();
    Object.assign(env, map?.['data']);
  }
  for (const entry of (container['env'] as Doc[]) ?? []) {
    if (entry['valueFrom']) continue;
    env[entry['name']] = String(entry['value']).replaceAll('$(POD_IP)', podIp);
  }
  return env;
}

/** Mounted files: mountPath/key → content, from the rendered ConfigMaps and Secrets. */
function mountedFiles(docs: Doc[], pod: Doc, container: Doc): Map<string, string> {
  const files = new Map<string, string>();
  for (const mount of container['volumeMounts'] as Doc[]) {
    const volume = (pod['volumes'] as Doc[]).find((v) => v['name'] === mount['name']) as Doc;
    const configMap = volume['configMap']?.['name'] as string | undefined;
    const secret = volume['secret']?.['secretName'] as string | undefined;
    const doc = [...ofKind(docs, 'ConfigMap'), ...ofKind(docs, 'Secret')].find(
      (d) => d['metadata']['name'] === (configMap ?? secret),
    );
    expect(doc, `volume ${mount['name']} refers to a rendered object`).toBeDefined();
    const data = (doc?.['data'] ?? {}) as Record<string, string>;
    for (const [key, value] of Object.entries(data)) {
      files.set(
        `${mount['mountPath']}/${key}`,
        secret === undefined
          ? value
          : Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8'),
      );
    }
  }
  return files;
}

const real = (value: string): string => value.replace(/REPLACE[\w-]*/g, 'A'.repeat(44));
const known = new Set(ENV_VARIABLES.map((variable) => variable.name));

const scratch = mkdtempSync(join(tmpdir(), 'portcullis-kustomize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(['sidecar', 'forward-auth'])('overlays/%s', (overlay) => {
  const dir = join(k8sDir, 'overlays', overlay);
  let docs: Doc[];

  it('renders with kubectl kustomize, every document valid against the Kubernetes schemas', async () => {
    expect(existsSync(KUBECTL)).toBe(true);
    docs = await render(dir);
    for (const doc of docs) {
      const key = `${doc['apiVersion']}/${doc['kind']}`;
      const Model = MODELS[key];
      expect(Model, `${key} has a schema`).toBeDefined();
      // Kustomize folds long base64 values over several lines; the API server's decoder skips
      // the newlines, the schema's `format: byte` check does not.
      const data = doc['kind'] === 'Secret' ? (doc['data'] as Record<string, string>) : {};
      for (const [name, value] of Object.entries(data)) data[name] = value.replace(/\s+/g, '');
      expect(() => new Model!(doc).validate(), key).not.toThrow();
    }
    expect(ofKind(docs, 'Deployment')).toHaveLength(1);
    expect(ofKind(docs, 'Service')).toHaveLength(1);
  }, 90_000);

  it('wires the generated ConfigMaps and Secret into the container, and loads as configured', () => {
    const { pod, container } = portcullisContainer(docs);
    const podIp = '10.1.2.3';
    const env = containerEnv(docs, container, podIp);
    const files = mountedFiles(docs, pod, container);
    expect(container['image']).toMatch(/^portcullis\/sidecar:\d+\.\d+\.\d+$/);
    // Every *_FILE points at a key of the mounted Secret.
    for (const [name, value] of Object.entries(env)) {
      if (name.endsWith('_FILE') && name !== 'PORTCULLIS_IDENTITY_JWT_KEY_FILE') {
        expect(files.has(value), `${name} → ${value}`).toBe(true);
      }
    }
    expect(files.get(env['PORTCULLIS_CONFIG'] as string)).toBe(
      readFileSync(join(k8sDir, '../config/portcullis.yaml'), 'utf8'),
    );
    // Settings other helpers may add to the table later (PORTCULLIS_MODE) are passed only when
    // this sidecar knows them.
    const loadable = Object.fromEntries(
      Object.entries(env)
        .filter(([name]) => known.has(name.replace(/_FILE$/, '')) || name === 'PORTCULLIS_CONFIG')
        .map(([name, value]) => [name, real(value)]),
    );
    const config = loadConfig(loadable, [], {
      readFile: (path) => {
        const content = files.get(path);
        if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
        return real(content);
      },
    });
    expect(config.adminListen).toEqual({ host: podIp, port: 9090 });
    expect(config.listen.port).toBe(8080);
    expect(config.routes.rules.length).toBeGreaterThan(0);
    expect(pod['terminationGracePeriodSeconds'] * 1000).toBeGreaterThan(config.drainMs);
    if (overlay === 'sidecar') {
      expect(container['restartPolicy']).toBe('Always');
      expect(env['PORTCULLIS_UPSTREAM']).toBe('http://127.0.0.1:3000');
    } else {
      expect(env['PORTCULLIS_MODE']).toBe('verify');
      expect(env['PORTCULLIS_UPSTREAM']).toBeUndefined();
    }
  });

  it('probes the sidecar on the admin port and the app through a public route', () => {
    const { pod, container } = portcullisContainer(docs);
    expect(container['readinessProbe']['httpGet']).toEqual({ path: '/readyz', port: 'admin' });
    expect(container['livenessProbe']['httpGet']).toEqual({ path: '/healthz', port: 'admin' });
    for (const app of (pod['containers'] as Doc[]).filter((c) => c !== container)) {
      expect(app['readinessProbe']?.['httpGet']).toEqual({ path: '/health', port: 8080 });
      expect(app['lifecycle']?.['preStop']).toBeDefined();
    }
  });

  it('passes every variable of the env table through the ConfigMap generator', async () => {
    // A user's overlay on top of this one, setting every variable (secrets as *_FILE).
    const userDir = mkdtempSync(join(scratch, `${overlay}-`));
    const literals = ENV_VARIABLES.map((variable) =>
      variable.secret
        ? `${variable.name}_FILE=/var/run/secrets/portcullis/x`
        : `${variable.name}=value`,
    );
    writeFileSync(
      join(userDir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${relative(userDir, dir)}`,
        'configMapGenerator:',
        '  - name: portcullis-env',
        '    behavior: merge',
        '    literals:',
        ...literals.map((literal) => `      - ${JSON.stringify(literal)}`),
        '',
      ].join('\n'),
    );
    const rendered = await render(userDir);
    const { container } = portcullisContainer(rendered);
    const env = containerEnv(rendered, container, '10.1.2.3');
    for (const variable of ENV_VARIABLES) {
      const name = variable.secret ? `${variable.name}_FILE` : variable.name;
      expect(env, name).toHaveProperty(name);
    }
  }, 90_000);
});

describe('base', () => {
  it('keeps secrets out of the ConfigMap: every secret variable of the table is a *_FILE', () => {
    const text = readFileSync(join(k8sDir, 'base/portcullis.env'), 'utf8');
    for (const variable of ENV_VARIABLES.filter((v) => v.secret)) {
      expect(text).not.toMatch(new RegExp(`^${variable.name}=`, 'm'));
    }
  });
});
