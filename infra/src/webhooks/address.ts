// Server-side request forgery guard of outbound webhooks: an admin's URL must not make the server
// call itself or its private network (a database, a cloud metadata service). Checked on the
// literal host when the URL is saved, and on every address DNS gives when a delivery connects
// (so a name that resolves to 127.0.0.1 later is refused too). WEBHOOKS_ALLOW_PRIVATE=1 lifts it
// (tests, and receivers on one's own network). Node's own net.BlockList does the matching.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');
// No rule for ::ffff:0:0/96: BlockList checks an IPv4-mapped address against the IPv4 rules itself, and
// such a rule would match every IPv4 address (the unit test shows both).

/** Whether an IP address is loopback, private, link-local, multicast or otherwise not the public internet's. */
export const isPrivateAddress = (address: string): boolean => {
  const family = isIP(address);
  if (family === 0) return false;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/** Whether a URL's host is, as written, a private address or a local name (checked when it is saved). */
export const isPrivateUrl = (raw: string): boolean => {
  const host = hostOf(new URL(raw)).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal'))
    return true;
  return isPrivateAddress(host);
};

export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses private addresses: the connection is made to the
 * address checked here, so a name cannot resolve to a public address for a check and a private
 * one for the connection.
 */
export const publicOnlyLookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad !== undefined || addresses.length === 0)
      return callback(
        new PrivateAddressError(`${hostname} resolves to a private address (${bad?.address ?? 'none'})`),
        [],
      );
    if (options.all === true) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/** The literal host of a URL when it is an IP address (no lookup happens for those). */
export const literalAddressOf = (url: URL): string | undefined => {
  const host = hostOf(url);
  return isIP(host) === 0 ? undefined : host;
};
