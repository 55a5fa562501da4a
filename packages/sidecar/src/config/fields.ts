/** Zod building blocks shared by the configuration schemas. */
import { BlockList } from 'node:net';
import { z } from 'zod';
import { addToBlockList } from './cidr.js';
import { parseListenAddress } from './listen-address.js';
import type { ListenAddress } from './listen-address.js';

export const positiveInt = z.number().int().min(1);
export const nonNegativeInt = z.number().int().min(0);
export const nonEmpty = z.string().min(1, 'must not be empty');
export const stringList = z.array(nonEmpty);
/** A Redis node or sentinel: `host:port` or `[v6]:port`. */
export const redisNode = z.string().refine((value) => {
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[1]);
  return port >= 1 && port <= 65_535;
}, 'must be host:port (port 1 to 65535)');
// Header names per RFC 9110 token; stored lower-case.
export const headerName = z
  .string()
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'must be an HTTP header name')
  .transform((name) => name.toLowerCase());

export const httpUrl = nonEmpty.refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const listen = nonEmpty.transform((value, ctx): ListenAddress => {
  const address = parseListenAddress(value);
  if (address === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be host:port (port 0-65535)' });
    return z.NEVER;
  }
  return address;
});

/** A CIDR or a bare address; validated by loading it into a BlockList. */
export const cidr = nonEmpty.refine((value) => {
  try {
    addToBlockList(new BlockList(), value);
    return true;
  } catch {
    return false;
  }
}, 'must be an IP address or CIDR (e.g. 10.0.0.0/8)');
