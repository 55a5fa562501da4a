/** `portcullis --help`: commands and the environment table (docs/design.md §7). */
import { ENV_VARIABLES } from '../config/env-table.js';

/** The text `--help` prints. */
export function helpText(version: string): string {
  const variables = ENV_VARIABLES.map(
    (variable) => `  ${variable.name}${variable.fromFile ? ` (or ${variable.name}_FILE)` : ''}`,
  ).join('\n');
  return `portcullis ${version} — M2M authentication sidecar (reverse proxy and forward-auth)

Usage:
  portcullis [run] [--config <file>]      start (proxy mode when PORTCULLIS_UPSTREAM is set,
                                          verify-only otherwise)
  portcullis check-config [--config <f>]  validate the configuration; exit 2 when invalid
  portcullis --print-config               print the effective configuration, secrets redacted
  portcullis healthcheck [--ready]        probe the admin listener's /healthz (or /readyz)
  portcullis revoke    <selector>         revoke credentials (operator API)
  portcullis invalidate <selector>        drop cached answers (operator API)
  portcullis policy | tombstones | flush  show policy, show tombstones, flush the cache
  portcullis --help | --version

Selector options: --all | --client-id <id> --tenant-id <id> --user-id <id> --token-id <id>
                  --credential client_credentials|access_token   (fields combine)
Operator commands use PORTCULLIS_ADMIN_LISTEN and PORTCULLIS_ADMIN_TOKEN, or --admin-url <url>.

Exit codes: 0 ok, 1 failure, 2 invalid configuration or usage.

Environment (lists are comma-separated; PORTCULLIS_CONFIG names the YAML file):
${variables}
`;
}
