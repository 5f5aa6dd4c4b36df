// Which URLs a subscription may target (SPEC "Webhooks", URLs). A deployed stage sends only to
// https:// hosts with public addresses: never to the service's own network, the loopback, link-local
// addresses or the cloud's metadata endpoint (169.254.169.254, fd00:ec2::254). Under npm start a
// developer may also receive on the loopback. Host names are resolved at every attempt, and the
// connection goes to the address that was checked (lib/service/webhooks/send.ts).

/** `local`: the stack runs under npm start (serverless-offline sets IS_OFFLINE). */
export type TargetMode = 'local' | 'stage';

export const targetMode = (env: Record<string, string | undefined>): TargetMode => (env.IS_OFFLINE ? 'local' : 'stage');

/** Hosts a developer may receive on under npm start (URL.hostname keeps IPv6's brackets). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function ipv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.map(Number);
}

/** The 8 groups of an IPv6 address (an embedded IPv4 tail allowed), or undefined. */
function ipv6(text: string): number[] | undefined {
  let address = text.split('%')[0]!;
  const lastColon = address.lastIndexOf(':');
  const v4 = ipv4(address.slice(lastColon + 1));
  // "::ffff:1.2.3.4" is "::ffff:102:304".
  if (v4) address = `${address.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  if ([...left, ...right].some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right].map((g) => parseInt(g, 16));
}

const inV4 = (a: number[], base: string, bits: number) => {
  const b = ipv4(base)!;
  const value = (x: number[]) => ((x[0]! << 24) >>> 0) + (x[1]! << 16) + (x[2]! << 8) + x[3]!;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((value(a) & mask) >>> 0) === ((value(b) & mask) >>> 0);
};

/** Not reachable from the internet, or not meant to be: private, shared, loopback, link-local, reserved. */
const V4_NOT_PUBLIC: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

/** Whether an IP address (v4 or v6 text, no brackets) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const v4 = ipv4(address);
  if (v4) return !V4_NOT_PUBLIC.some(([base, bits]) => inV4(v4, base, bits));
  const g = ipv6(address);
  if (!g) return false;
  const embedded = [g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255];
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) carry an IPv4 address.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) return g[5] === 0 && g[6] === 0 ? false : isPublicAddress(embedded.join('.'));
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return isPublicAddress(embedded.join('.'));
  const first = g[0]!;
  if ((first & 0xe000) !== 0x2000) return false; // only 2000::/3 is global unicast (fc00::/7, fe80::/10, ff00::/8 are not)
  if (first === 0x2001 && g[1] === 0x0db8) return false; // documentation
  if (first === 0x2001 && g[1]! < 0x0200) return false; // 2001::/23, IANA special purpose (Teredo, benchmarking, ORCHID)
  if (first === 0x2002) return false; // 6to4 relays an IPv4 address anywhere
  return true;
}

/** The IP literal a URL hostname names (brackets off), or undefined for a name. */
export function ipLiteral(hostname: string): string | undefined {
  if (hostname.startsWith('[') && hostname.endsWith(']')) return ipv6(hostname.slice(1, -1)) ? hostname.slice(1, -1) : undefined;
  return ipv4(hostname) ? hostname : undefined;
}

/** Whether the URL's host may resolve to the loopback: only a developer's, under npm start. */
export const loopbackAllowed = (url: URL, mode: TargetMode): boolean => mode === 'local' && LOCAL_HOSTS.has(url.hostname);

/** Why this URL may not be a target, or undefined when it may (names still resolve at each attempt). */
export function refusalOf(text: string, mode: TargetMode): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (loopbackAllowed(url, mode) && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined;
  if (url.protocol !== 'https:') return mode === 'local' ? 'must be https://, or http://localhost, http://127.0.0.1 or http://[::1] under npm start' : 'must be an https:// URL';
  const literal = ipLiteral(url.hostname);
  if (literal !== undefined && !isPublicAddress(literal)) return 'must not name a private, loopback, link-local or metadata address';
  if (literal === undefined && (url.hostname === 'localhost' || url.hostname.endsWith('.localhost') || !url.hostname.includes('.'))) return 'must name a public host';
  return undefined;
}
