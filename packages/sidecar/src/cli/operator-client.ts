/** The CLI side of the operator API and the shell-free health probe. */
import { request } from 'undici';
import type { Selector } from '@portcullis/core';
import { parseSelector } from '../admin/selector.js';

export interface OperatorTarget {
  /** `http://host:port` of the admin listener. */
  readonly adminUrl: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

export interface OperatorResult {
  readonly status: number;
  readonly body: string;
}

/** One admin-listener call (5 s timeouts by default via `target.timeoutMs`). */
export async function callAdmin(
  target: OperatorTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<OperatorResult> {
  const response = await request(`${target.adminUrl}${path}`, {
    method,
    headers: {
      ...(target.token === undefined ? {} : { authorization: `Bearer ${target.token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headersTimeout: target.timeoutMs,
    bodyTimeout: target.timeoutMs,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

const FLAG_FIELDS: Readonly<Record<string, string>> = {
  '--client-id': 'clientId',
  '--tenant-id': 'tenantId',
  '--user-id': 'userId',
  '--token-id': 'tokenId',
  '--credential': 'credential',
};

/** `--client-id x --tenant-id y` / `--all` → a selector; throws `Error` naming the problem. */
export function selectorFromArgs(args: readonly string[]): Selector {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--all') {
      fields['all'] = true;
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const field = FLAG_FIELDS[flag];
    if (field === undefined) throw new Error(`unknown option ${flag}`);
    const value = inline ?? args[++i];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    fields[field] = value;
  }
  return parseSelector(fields);
}
