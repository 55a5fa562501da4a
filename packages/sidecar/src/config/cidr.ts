/** IP addresses and CIDRs (trusted proxies, webhook allow-list) loaded into a `net.BlockList`. */
import { isIP } from 'node:net';
import type { BlockList } from 'node:net';

/** Add one address or CIDR to a `BlockList`; throws when it is neither. */
export function addToBlockList(list: BlockList, value: string): void {
  const [address = '', prefix] = value.trim().split('/');
  const family = isIP(address);
  if (family === 0) throw new Error('not an IP address');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (prefix === undefined) {
    list.addAddress(address, type);
    return;
  }
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) {
    throw new Error('bad prefix length');
  }
  list.addSubnet(address, Number(prefix), type);
}
