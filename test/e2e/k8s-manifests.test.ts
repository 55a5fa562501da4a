/**
 * docker/k8s/ and the forward-auth recipes, checked without a cluster: every Kubernetes document
 * validates against the Kubernetes schemas (kubernetes-models, 1.29+ API: native sidecars), and the
 * Portcullis parts agree with the sidecar's own config contract — env names from its exported
 * ENV_VARIABLES, the env + ConfigMap + mounted Secret load through its `loadConfig`, and probes hit
 * the admin listener the env binds.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ENV_VARIABLES, identityHeaders, loadConfig } from '@portcullis/sidecar';
import type { Principal } from '@portcullis/core';

const dockerDir = fileURLToPath(new URL('../../docker/', import.meta.url));
const k8sDir = join(dockerDir, 'k8s');
const require = createRequire(import.meta.url);

type Doc = Record<string, any>;

function documents(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc) => {
    expect(
      doc.errors.map((error) => error.message),
      path,
    ).toEqual([]);
    return doc.toJS() as Doc;
  });
}

const manifests: Array<{ file: string; doc: Doc }> = readdirSync(k8sDir)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => documents(join(k8sDir, file)).map((doc) => ({ file, doc })));

const byKind = (kind: string): Doc[] =>
  manifests.filter(({ doc }) => doc['kind'] === kind).map(({ doc }) => doc);
const one = (kind: string): Doc => {
  const docs = byKind(kind);
  expect(docs, kind).toHaveLength(1);
  return docs[0] as Doc;
};

const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/**
 * kubernetes-models accepts unknown fields, so a typo (`readinesProbe`) would pass. The field
 * names of an API type are read from the package's own type declarations instead.
 */
function knownFields(modelPath: string): Set<string> {
  const dts = readFileSync(
    require.resolve(`kubernetes-models/${modelPath}`).replace(/\.js$/, '.d.ts'),
    'utf8',
  );
  const body = /export interface I\w+ \{([\s\S]*?)\n\}/.exec(dts)?.[1] ?? '';
  return new Set([...body.matchAll(/^\s+"([A-Za-z$]+)"\??:/gm)].map((match) => match[1] as string));
}
const FIELDS = {
  podSpec: knownFields('v1/PodSpec'),
  container: knownFields('v1/Container'),
  securityContext: knownFields('v1/SecurityContext'),
  podSecurityContext: knownFields('v1/PodSecurityContext'),
  probe: knownFields('v1/Probe'),
  envVar: knownFields('v1/EnvVar'),
};
const unknownKeys = (object: Doc, fields: Set<string>): string[] =>
  Object.keys(object).filter((key) => !fields.has(key));

const deployment = one('Deployment');
const podSpec = deployment['spec']['template']['spec'] as Doc;
const sidecar = (podSpec['initContainers'] as Doc[]).find((c) => c['name'] === 'portcullis') as Doc;
const allContainers = [
  ...(podSpec['initContainers'] as Doc[]),
  ...(podSpec['containers'] as Doc[]),
];
const envOf = (container: Doc): Doc[] => (container['env'] as Doc[] | undefined) ?? [];
const envValue = (name: string): string | undefined =>
  envOf(sidecar).find((entry) => entry['name'] === name)?.['value'] as string | undefined;

const KNOWN_ENV = new Set<string>([
  'PORTCULLIS_CONFIG',
  ...ENV_VARIABLES.map((variable) => variable.name),
  ...ENV_VARIABLES.filter((variable) => variable.fromFile).map(
    (variable) => `${variable.name}_FILE`,
  ),
]);

/** Every identity header the sidecar can send, from its own encoder, plus the signed JWT header. */
const IDENTITY_HEADERS: readonly string[] = [
  ...Object.keys(
    identityHeaders(
      {
        subject: 's',
        clientId: 'c',
        tokenId: 't',
        tenantId: 'n',
        userId: 'u',
        createdByUserId: 'b',
        ownerKind: 'user',
        credential: 'access_token',
        permissions: ['p'],
        roles: ['r'],
        scopes: ['o'],
        claims: {},
      } as unknown as Principal,
      'x-portcullis-',
    ),
  ),
  'x-portcullis-identity',
];

/** Every `-`/`_` spelling of a header name (lower-case). */
function spellings(name: string): string[] {
  const parts = name.split('-');
  let out = [parts[0] as string];
  for (const part of parts.slice(1))
    out = out.flatMap((head) => [`${head}-${part}`, `${head}_${part}`]);
  return out;
}

describe('Kubernetes manifests (docker/k8s)', () => {
  it('holds only kinds with a schema, each valid against Kubernetes 1.29+', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(6);
    for (const { file, doc } of manifests) {
      const key = `${doc['apiVersion']}/${doc['kind']}`;
      const Model = MODELS[key];
      expect(Model, `${file}: ${key} has no schema here`).toBeDefined();
      expect(() => new Model!(doc).validate(), `${file}: ${key}`).not.toThrow();
    }
  });

  it('uses no field the Kubernetes API does not know', () => {
    expect(unknownKeys(podSpec, FIELDS.podSpec)).toEqual([]);
    expect(unknownKeys(podSpec['securityContext'], FIELDS.podSecurityContext)).toEqual([]);
    for (const container of allContainers) {
      expect(unknownKeys(container, FIELDS.container), container['name']).toEqual([]);
      expect(unknownKeys(container['securityContext'], FIELDS.securityContext)).toEqual([]);
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        if (container[probe]) expect(unknownKeys(container[probe], FIELDS.probe)).toEqual([]);
      }
      for (const entry of envOf(container)) expect(unknownKeys(entry, FIELDS.envVar)).toEqual([]);
    }
  });

  it('runs Portcullis as a native sidecar beside the app', () => {
    expect(sidecar['restartPolicy']).toBe('Always');
    expect(sidecar['image']).toMatch(/portcullis\/sidecar:/);
    expect((podSpec['containers'] as Doc[]).map((c) => c['name'])).toEqual(['app']);
    // The app is reached through Portcullis only.
    expect(envValue('PORTCULLIS_UPSTREAM')).toBe('http://127.0.0.1:3000');
  });

  it('uses only env names the sidecar knows', () => {
    const names = envOf(sidecar).map((entry) => entry['name'] as string);
    const unknown = names.filter((name) => name.startsWith('PORTCULLIS_') && !KNOWN_ENV.has(name));
    expect(unknown).toEqual([]);
    expect(names).toContain('PORTCULLIS_REDIS_URL_FILE');
  });

  it('reads every secret from the mounted Secret through a _FILE variable', () => {
    const secret = one('Secret');
    const mount = (sidecar['volumeMounts'] as Doc[]).find(
      (m) => (podSpec['volumes'] as Doc[]).find((v) => v['name'] === m['name'])?.['secret'],
    ) as Doc;
    const volume = (podSpec['volumes'] as Doc[]).find((v) => v['name'] === mount['name']) as Doc;
    expect(volume['secret']['secretName']).toBe(secret['metadata']['name']);
    expect(mount['readOnly']).toBe(true);
    for (const variable of ENV_VARIABLES.filter((v) => v.secret)) {
      // No secret is ever a literal env value.
      expect(envValue(variable.name), variable.name).toBeUndefined();
    }
    for (const entry of envOf(sidecar).filter((e) => String(e['name']).endsWith('_FILE'))) {
      const path = entry['value'] as string;
      expect(path.startsWith(`${mount['mountPath']}/`), entry['name']).toBe(true);
      expect(Object.keys(secret['stringData']), entry['name']).toContain(
        path.slice(mount['mountPath'].length + 1),
      );
    }
  });

  it('loads with the sidecar’s own config loader (env + ConfigMap file + Secret files)', () => {
    const configMap = one('ConfigMap');
    const secret = one('Secret');
    const podIp = '10.1.2.3';
    const env: Record<string, string> = {};
    for (const entry of envOf(sidecar)) {
      if (entry['valueFrom']) continue;
      env[entry['name']] = String(entry['value']).replaceAll('$(POD_IP)', podIp);
    }
    const configMount = (sidecar['volumeMounts'] as Doc[]).find(
      (m) => m['name'] === 'portcullis-config',
    ) as Doc;
    const secretMount = (sidecar['volumeMounts'] as Doc[]).find(
      (m) => m['name'] === 'portcullis-secrets',
    ) as Doc;
    const files = new Map<string, string>([
      ...Object.entries(configMap['data'] as Record<string, string>).map(
        ([key, value]) => [`${configMount['mountPath']}/${key}`, value] as [string, string],
      ),
      ...Object.entries(secret['stringData'] as Record<string, string>).map(
        ([key, value]) => [`${secretMount['mountPath']}/${key}`, value] as [string, string],
      ),
    ]);
    const readFile = (path: string): string => {
      const content = files.get(path);
      if (content === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return content;
    };
    // As shipped, every placeholder is refused by name (check-config fails before a deploy).
    const placeholders = [
      ...Object.entries(env)
        .filter(([, value]) => value.includes('REPLACE'))
        .map(([name]) => name),
      ...envOf(sidecar)
        .filter((entry) => String(entry['name']).endsWith('_FILE'))
        .filter((entry) => files.get(String(entry['value']))?.includes('REPLACE'))
        .map((entry) => String(entry['name'])),
    ].sort();
    expect(placeholders.length).toBeGreaterThan(5);
    let refused: unknown;
    try {
      loadConfig(env, [], { readFile });
    } catch (error) {
      refused = error;
    }
    const refusedFields = (
      (refused as { details?: { issues?: Array<{ field: string; message: string }> } })?.details
        ?.issues ?? []
    )
      .filter((issue) => issue.message.includes('placeholder'))
      .map((issue) => issue.field);
    expect(refusedFields.sort()).toEqual(placeholders);
    // With real values in their place, the same manifests load.
    const real = (value: string): string => value.replace(/REPLACE[\w-]*/g, 'A'.repeat(44));
    for (const [name, value] of Object.entries(env)) env[name] = real(value);
    for (const [path, value] of files) files.set(path, real(value));
    const config = loadConfig(env, [], { readFile });
    expect(config.adminListen).toEqual({ host: podIp, port: 9090 });
    expect(config.listen.port).toBe(8080);
    expect(config.provider.kind).toBe('frontegg');
    expect(config.redis?.url).toMatch(/^redis:\/\//);
    expect(config.redis?.sharedCacheSecret).toBeDefined();
    expect(config.webhooks.standardSecrets[0]).toMatch(/^whsec_/);
    expect(config.routes.rules.length).toBeGreaterThan(0);
    // Draining must finish before Kubernetes kills the pod.
    expect(podSpec['terminationGracePeriodSeconds'] * 1000).toBeGreaterThan(config.drainMs);
  });

  it('probes the app through Portcullis’s public /health route and delays its SIGTERM', () => {
    const app = (podSpec['containers'] as Doc[]).find((c) => c['name'] === 'app') as Doc;
    const mainPort = Number(envValue('PORTCULLIS_LISTEN')?.split(':')[1]);
    const rules = parse(
      (one('ConfigMap')['data'] as Record<string, string>)['portcullis.yaml'] as string,
    ) as { routes: { rules: Array<{ path: string; methods?: string[]; public?: boolean }> } };
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const get = app[probe]?.['httpGet'] as Doc | undefined;
      expect(get, probe).toBeDefined();
      expect(get?.['port']).toBe(mainPort);
      const rule = rules.routes.rules.find((r) => r.path === get?.['path']);
      expect(rule?.public, `${probe} path is a public route`).toBe(true);
      expect(rule?.methods ?? ['GET']).toContain('GET');
    }
    expect(app['lifecycle']?.['preStop']?.['sleep']?.['seconds']).toBeGreaterThan(0);
    expect(app['lifecycle']['preStop']['sleep']['seconds'] * 1000).toBeLessThan(
      podSpec['terminationGracePeriodSeconds'] * 1000,
    );
  });

  it('uses the image tag the docs build and the sidecar package version', () => {
    const version = (
      JSON.parse(readFileSync(require.resolve('@portcullis/sidecar/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(sidecar['image']).toBe(`portcullis/sidecar:${version}`);
    const deployment = readFileSync(join(dockerDir, '../docs/deployment.md'), 'utf8');
    expect(deployment).toContain(`-t portcullis/sidecar:${version} .`);
    expect(deployment).not.toMatch(/-t portcullis\/sidecar \./);
  });

  it('binds the admin listener to the pod IP (downward API) and probes it there', () => {
    const podIp = envOf(sidecar).find((entry) => entry['name'] === 'POD_IP') as Doc;
    expect(podIp['valueFrom']['fieldRef']['fieldPath']).toBe('status.podIP');
    const order = envOf(sidecar).map((entry) => entry['name']);
    // $(POD_IP) expands only when POD_IP is defined earlier in the list.
    expect(order.indexOf('POD_IP')).toBeLessThan(order.indexOf('PORTCULLIS_ADMIN_LISTEN'));
    const adminPort = Number(envValue('PORTCULLIS_ADMIN_LISTEN')?.replace('$(POD_IP):', ''));
    expect(envValue('PORTCULLIS_ADMIN_LISTEN')).toBe(`$(POD_IP):${adminPort}`);
    const ports = new Map((sidecar['ports'] as Doc[]).map((p) => [p['name'], p['containerPort']]));
    expect(ports.get('admin')).toBe(adminPort);
    expect(ports.get('http')).toBe(Number(envValue('PORTCULLIS_LISTEN')?.split(':')[1]));
    const probePort = (probe: string): number => {
      const port = sidecar[probe]['httpGet']['port'];
      return typeof port === 'string' ? (ports.get(port) as number) : port;
    };
    expect(sidecar['livenessProbe']['httpGet']['path']).toBe('/healthz');
    expect(sidecar['readinessProbe']['httpGet']['path']).toBe('/readyz');
    expect(sidecar['startupProbe']['httpGet']['path']).toBe('/healthz');
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      expect(probePort(probe), probe).toBe(adminPort);
      // No host: the kubelet calls the pod IP, which is where the admin listener is bound.
      expect(sidecar[probe]['httpGet']['host']).toBeUndefined();
    }
  });

  it('exposes only the main port through the Service', () => {
    const service = one('Service');
    const targets = (service['spec']['ports'] as Doc[]).map((p) => p['targetPort']);
    expect(targets).toEqual(['http']);
    expect(service['spec']['selector']).toEqual(deployment['spec']['selector']['matchLabels']);
  });

  it('keeps the admin port to the monitoring namespace', () => {
    const policy = one('NetworkPolicy');
    expect(policy['spec']['podSelector']['matchLabels']).toEqual(
      deployment['spec']['selector']['matchLabels'],
    );
    expect(policy['spec']['policyTypes']).toContain('Ingress');
    const rules = policy['spec']['ingress'] as Doc[];
    const adminRules = rules.filter((rule) =>
      (rule['ports'] as Doc[]).some((p) => p['port'] === 9090 || p['port'] === 'admin'),
    );
    expect(adminRules).toHaveLength(1);
    expect(adminRules[0]!['from']).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
    // The main port is the only other one open; the app port is not.
    const otherPorts = rules
      .filter((rule) => rule !== adminRules[0])
      .flatMap((rule) => rule['ports'] as Doc[]);
    expect(otherPorts.map((p) => p['port'])).toEqual([8080]);
  });

  it('gives every container a strict securityContext and resources', () => {
    expect(podSpec['securityContext']).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const container of allContainers) {
      expect(container['securityContext'], container['name']).toMatchObject({
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container['resources']['requests'], container['name']).toBeDefined();
      expect(container['resources']['limits']['memory'], container['name']).toBeDefined();
    }
  });

  it('has a PodDisruptionBudget for the same pods', () => {
    const pdb = one('PodDisruptionBudget');
    expect(pdb['spec']['selector']['matchLabels']).toEqual(
      deployment['spec']['selector']['matchLabels'],
    );
    expect(pdb['spec']['minAvailable']).toBeLessThan(deployment['spec']['replicas']);
  });

  it('embeds the same route rules as docker/config/portcullis.yaml', () => {
    const shared = documents(join(dockerDir, 'config/portcullis.yaml'))[0] as Doc;
    const embedded = documents(join(k8sDir, 'configmap.yaml'))[0] as Doc;
    const file = parseAllDocuments(embedded['data']['portcullis.yaml'] as string)[0]!.toJS() as Doc;
    expect(file).toEqual(shared);
  });
});

describe('forward-auth recipes (docker/recipes)', () => {
  it('Traefik: ForwardAuth to /.portcullis/verify, identity headers copied, client copies removed first', () => {
    const docs = documents(join(dockerDir, 'recipes/traefik-forwardauth.yaml'));
    const middleware = (name: string): Doc =>
      docs.find((doc) => doc['kind'] === 'Middleware' && doc['metadata']['name'] === name)?.[
        'spec'
      ] as Doc;
    const forwardAuth = middleware('portcullis-forwardauth')['forwardAuth'] as Doc;
    expect(new URL(forwardAuth['address']).pathname).toBe('/.portcullis/verify');
    const copied = (forwardAuth['authResponseHeaders'] as string[]).map((h) => h.toLowerCase());
    expect([...copied].sort()).toEqual([...IDENTITY_HEADERS].sort());
    const removed = Object.entries(
      middleware('portcullis-strip-identity')['headers']['customRequestHeaders'] as Record<
        string,
        string
      >,
    );
    expect(removed.every(([, value]) => value === '')).toBe(true);
    const removedNames = new Set(removed.map(([name]) => name.toLowerCase()));
    for (const header of IDENTITY_HEADERS) {
      for (const spelling of spellings(header)) expect(removedNames, spelling).toContain(spelling);
    }
    const chain = middleware('portcullis')['chain']['middlewares'] as Doc[];
    expect(chain.map((m) => m['name'])).toEqual([
      'portcullis-strip-identity',
      'portcullis-forwardauth',
    ]);
  });

  it('Envoy: ext_authz HTTP to /.portcullis/verify; `_` headers dropped and client copies removed before filters', () => {
    const [bootstrap, clientPolicy, securityPolicy] = documents(
      join(dockerDir, 'recipes/envoy-ext-authz.yaml'),
    ) as [Doc, Doc, Doc];
    const hcm = bootstrap['static_resources']['listeners'][0]['filter_chains'][0]['filters'][0][
      'typed_config'
    ] as Doc;
    expect(hcm['common_http_protocol_options']['headers_with_underscores_action']).toBe(
      'DROP_HEADER',
    );
    const early = hcm['early_header_mutation_extensions'][0]['typed_config']['mutations'] as Doc[];
    expect(early.map((m) => m['remove']).sort()).toEqual([...IDENTITY_HEADERS].sort());
    const filters = hcm['http_filters'] as Doc[];
    expect(filters.map((f) => f['name'])).toEqual([
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.router',
    ]);
    const extAuthz = filters[0]!['typed_config'] as Doc;
    expect(extAuthz['failure_mode_allow']).toBe(false);
    expect(extAuthz['http_service']['path_prefix']).toBe('/.portcullis/verify');
    const upstreamHeaders = (
      extAuthz['http_service']['authorization_response']['allowed_upstream_headers'][
        'patterns'
      ] as Doc[]
    ).map((p) => p['exact']);
    expect(upstreamHeaders.sort()).toEqual([...IDENTITY_HEADERS].sort());

    expect(clientPolicy['kind']).toBe('ClientTrafficPolicy');
    expect(clientPolicy['spec']['headers']['withUnderscoresAction']).toBe('DropHeader');
    expect([...clientPolicy['spec']['headers']['earlyRequestHeaders']['remove']].sort()).toEqual(
      [...IDENTITY_HEADERS].sort(),
    );
    expect(securityPolicy['kind']).toBe('SecurityPolicy');
    expect(securityPolicy['spec']['extAuth']['http']['path']).toBe('/.portcullis/verify');
    expect([...securityPolicy['spec']['extAuth']['http']['headersToBackend']].sort()).toEqual(
      [...IDENTITY_HEADERS].sort(),
    );
  });

  it('nginx: auth_request to /.portcullis/verify, every identity header replaced (run for real in nginx-recipe.test.ts)', () => {
    const recipe = readFileSync(join(dockerDir, 'recipes/nginx-auth-request.conf'), 'utf8');
    expect(recipe).toMatch(/auth_request \/\.portcullis\/verify;/);
    expect(recipe).toMatch(/proxy_set_header X-Original-URL /);
    expect(recipe).toMatch(/proxy_set_header X-Original-Method /);
    expect(recipe).toMatch(/^\s*underscores_in_headers off;/m);
    expect(recipe).toMatch(/^\s*ignore_invalid_headers on;/m);
    for (const header of IDENTITY_HEADERS) {
      expect(recipe.toLowerCase()).toContain(`proxy_set_header ${header} $portcullis_`);
      expect(recipe.toLowerCase()).toContain(`$upstream_http_${header.replaceAll('-', '_')};`);
    }
  });
});
