/**
 * Textual form of the addresses in the access logs (reference §2, PROPOSAL): IPv4 dotted quad;
 * IPv6 without brackets and without port, compressed as RFC 5952 §4 prescribes (lower case, no
 * leading zeros, the longest run of two or more zero groups — the first of equal runs — written
 * `::`). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an
 * IPv4 peer) is written as the IPv4 address it carries. A zone (`%eth0`) is kept as given.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** `address` in its log form; a value that is not an IP address is returned unchanged. */
export function normalizeAddress(address: string): string {
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (isIPv4(a)) return a;
  if (!isIPv6(a)) return address;
  return compressIPv6(a);
}

/** The eight 16-bit groups of a valid IPv6 address without zone. */
function groups(addr: string): number[] {
  let text = addr;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 (`::ffff:1.2.3.4`): rewrite its four bytes as two hex groups.
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    text =
      text.slice(0, lastColon + 1) +
      ((a << 8) | b).toString(16) +
      ':' +
      ((c << 8) | d).toString(16);
  }
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16));
  const dbl = text.indexOf('::');
  if (dbl < 0) return parse(text);
  const left = parse(text.slice(0, dbl));
  const right = parse(text.slice(dbl + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952 text of a valid IPv6 address (zone kept). */
export function compressIPv6(address: string): string {
  const pct = address.indexOf('%');
  const zone = pct >= 0 ? address.slice(pct) : '';
  const g = groups(pct >= 0 ? address.slice(0, pct) : address);
  // IPv4-mapped: ::ffff:a.b.c.d
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    const hi = g[6]!;
    const lo = g[7]!;
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}` + zone;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g) + zone;
  return hex(g.slice(0, bestAt)) + '::' + hex(g.slice(bestAt + bestLen)) + zone;
}
