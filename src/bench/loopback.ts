import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1, and IPv4-mapped loopback (::ffff:127.x.x.x). */
export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.split('.')[0] === '127';
  if (family !== 6) return false;
  const lower = address.toLowerCase();
  if (/^(0{0,4}:){7}0{0,3}1$/.test(lower) || lower === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped !== null && isLoopbackAddress(mapped[1]!);
}

/**
 * The addresses the URL's host resolves to that are not loopback (none: the target is this machine). A load
 * generator pointed at someone else's server by mistake is a denial of service, so remote targets need an
 * explicit opt-in.
 */
export async function nonLoopbackAddresses(url: URL): Promise<string[]> {
  // URL keeps IPv6 literals in brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  return addresses.filter((address) => !isLoopbackAddress(address));
}
