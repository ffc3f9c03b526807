/**
 * Lists of addresses and CIDR blocks (`http.metricsAllow`), checked against a caller's address.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

function parse(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family || extra !== undefined) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= max ? { address, prefix, family } : undefined;
}

/** Configuration errors (`path/i: message`) for entries that are not an address or block. */
export function addressListErrors(entries: readonly string[], path: string): string[] {
  return entries.flatMap((e, i) => (parse(e) ? [] : [`${path}/${i}: '${e}' is not an IP address or CIDR block`]));
}

/** The list as a BlockList; entries must have passed addressListErrors. */
export function addressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const p = parse(entry);
    if (p) list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

export function allowedAddress(list: BlockList, ip: string): boolean {
  // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d.
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (v4) return list.check(v4, 'ipv4');
  if (isIPv4(ip)) return list.check(ip, 'ipv4');
  return isIPv6(ip) && list.check(ip, 'ipv6');
}
