/**
 * A real sidecar (built from its env configuration, as the CLI does) in front of a recording
 * upstream, authenticating against the seeded emulator with the frontegg preset.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, startSidecar } from '@portcullis/sidecar';
import type { RunningSidecar } from '@portcullis/sidecar';
import type { FronteggEnv } from './frontegg-env.js';
import { startRecordingUpstream } from './recording-upstream.js';
import type { RecordingUpstream } from './recording-upstream.js';
import { waitFor } from './wait.js';

export const ADMIN_TOKEN = `admin-${randomBytes(12).toString('hex')}`;
export const STANDARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
export const FRONTEGG_HOOK_SECRET = `hook-${randomBytes(12).toString('hex')}`;

const RULES = `
routes:
  default: authenticated
  rules:
    - path: /public/**
      public: true
`;

export interface SidecarEnv {
  readonly sidecar: RunningSidecar;
  readonly upstream: RecordingUpstream;
  close(): Promise<void>;
}

/**
 * Starts the sidecar and waits until `/readyz` answers 200. `extraEnv` wins over the defaults; an
 * empty value removes one.
 */
export async function startSidecarEnv(
  idp: FronteggEnv,
  extraEnv: Record<string, string> = {},
): Promise<SidecarEnv> {
  const upstream = await startRecordingUpstream();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-reliability-'));
  writeFileSync(join(dir, 'rules.yaml'), RULES);
  const environment: Record<string, string> = {
    PORTCULLIS_CONFIG: join(dir, 'rules.yaml'),
    PORTCULLIS_PROVIDER: 'frontegg',
    PORTCULLIS_FRONTEGG_BASE_URL: idp.emulator.url,
    PORTCULLIS_FRONTEGG_APP_URL: idp.emulator.appUrl,
    PORTCULLIS_FRONTEGG_CLIENT_ID: idp.emulator.vendor.clientId,
    PORTCULLIS_FRONTEGG_API_KEY: idp.emulator.vendor.secret,
    PORTCULLIS_LISTEN: '127.0.0.1:0',
    PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
    PORTCULLIS_UPSTREAM: upstream.url,
    PORTCULLIS_ADMIN_TOKEN: ADMIN_TOKEN,
    PORTCULLIS_STANDARD_WEBHOOK_SECRET: STANDARD_SECRET,
    PORTCULLIS_FRONTEGG_WEBHOOK_SECRET: FRONTEGG_HOOK_SECRET,
    PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
    PORTCULLIS_LOG_LEVEL: 'silent',
    ...extraEnv,
  };
  // An empty value in `extraEnv` removes the default (e.g. no upstream: verify-only mode).
  for (const [name, value] of Object.entries(environment)) {
    if (value === '') delete environment[name];
  }
  const config = loadConfig(environment);
  const sidecar = await startSidecar(config);
  try {
    await waitFor('sidecar readiness', async () => {
      const response = await fetch(`${sidecar.adminUrl}/readyz`);
      await response.arrayBuffer();
      return response.status === 200;
    });
  } catch (error) {
    await sidecar.close();
    await upstream.stop();
    throw error;
  }
  return {
    sidecar,
    upstream,
    async close() {
      await sidecar.close();
      await upstream.stop();
    },
  };
}
