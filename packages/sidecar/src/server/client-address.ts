/**
 * The client address: the socket peer, or — only when that peer is a trusted proxy — the
 * right-most `X-Forwarded-For` entry that is not itself trusted (GHSA-7x63-xv5r-3p2x).
 */
import { BlockList, isIP } from 'node:net';
import { addToBlockList } from '../config/cidr.js';

export interface ClientAddressResolver {
  /** True when `address` is in the trusted-proxy list. */
  isTrusted(address: string): boolean;
  /** `forwardedFor`: every `X-Forwarded-For` header value, in order. */
  resolve(peer: string, forwardedFor: readonly string[]): string;
}

/** Strip the IPv4-mapped IPv6 prefix so `::ffff:10.0.0.1` matches `10.0.0.0/8`. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Build a resolver from CIDRs (already validated by the config schema). */
export function createClientAddressResolver(cidrs: readonly string[]): ClientAddressResolver {
  const list = new BlockList();
  for (const cidr of cidrs) addToBlockList(list, cidr);
  const isTrusted = (address: string): boolean => {
    // The common deployment trusts no proxy: skip the address parsing on every request.
    if (cidrs.length === 0) return false;
    const plain = plainAddress(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  };
  return {
    isTrusted,
    resolve(peer, forwardedFor) {
      const client = plainAddress(peer);
      if (cidrs.length === 0 || !isTrusted(client)) return client;
      const hops = forwardedFor
        .flatMap((value) => value.split(','))
        .map((hop) => plainAddress(hop.trim()))
        .filter((hop) => hop !== '');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] as string;
        if (isIP(hop) === 0) return client; // garbage in the chain: trust nothing beyond the peer
        if (!isTrusted(hop)) return hop;
      }
      return hops[0] ?? client;
    },
  };
}
