/** Whether `address` is this machine (IPv4, IPv6 or IPv4-mapped loopback). */
function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * The client's IP address from a connection's peer address and its `X-Forwarded-For` header:
 * the peer, or, when that peer is a proxy on this machine (loopback, e.g. Caddy in front of
 * the panel), the last `X-Forwarded-For` entry, which that proxy appended. A remote client
 * cannot spoof it: its own header entries come before the proxy's. Null when the peer is
 * unknown. The one rule for HTTP requests (the audit log, logins) and WebSockets.
 *
 * @example
 * clientIpFrom('127.0.0.1', '203.0.113.9, 198.51.100.4'); // '198.51.100.4'
 * clientIpFrom('198.51.100.4', '10.0.0.1');              // '198.51.100.4'
 */
export function clientIpFrom(
  remoteAddress: string | undefined | null,
  forwardedFor: string | string[] | undefined | null,
): string | null {
  if (!remoteAddress) return null;
  if (isLoopback(remoteAddress)) {
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    const forwarded = header?.split(',').at(-1)?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  return remoteAddress;
}
