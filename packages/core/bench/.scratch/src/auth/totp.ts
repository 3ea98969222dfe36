import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Time-based one-time passwords (RFC 6238 over RFC 4226), as authenticator apps use them. */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export interface TotpOptions {
  /** Seconds per step (default 30). */
  period?: number;
  /** Code length (default 6). */
  digits?: number;
  /** HMAC hash (default sha1, the one every authenticator app supports). */
  algorithm?: 'sha1' | 'sha256' | 'sha512';
}

/**
 * RFC 4648 base32 without padding.
 *
 * @example
 * base32Encode(Buffer.from('foo')); // 'MZXW6'
 */
export function base32Encode(data: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Decode base32 (case-insensitive; spaces, dashes and `=` padding ignored).
 * Throws on any other character.
 *
 * @example
 * base32Decode('mzxw 6==='); // Buffer 'foo'
 */
export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = ALPHABET.indexOf(char);
    if (index === -1) throw new Error(`invalid base32 character "${char}"`);
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * A fresh random TOTP secret (20 bytes, the RFC 4226 recommendation), base32.
 *
 * @example
 * const secret = generateTotpSecret(); // 32 base32 characters
 */
export function generateTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** The step counter for a time in ms. */
export function totpStep(timeMs: number, period = 30): number {
  return Math.floor(timeMs / 1000 / period);
}

/**
 * The HOTP code (RFC 4226) of a base32 secret for one counter value.
 *
 * @example
 * hotp(base32Encode(Buffer.from('12345678901234567890')), 0); // '755224'
 */
export function hotp(secret: string, counter: number, options: TotpOptions = {}): string {
  const digits = options.digits ?? 6;
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(options.algorithm ?? 'sha1', base32Decode(secret))
    .update(message)
    .digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * The TOTP code of a base32 secret at a time (ms).
 *
 * @example
 * totpCode(secret, Date.now()); // e.g. '492039'
 */
export function totpCode(secret: string, timeMs: number, options: TotpOptions = {}): string {
  return hotp(secret, totpStep(timeMs, options.period), options);
}

/**
 * Check a code against the steps around `timeMs` (±`window` steps, default 1 to
 * allow clock drift). Returns the matching step, so the caller can refuse a
 * step it has already accepted (replay), or undefined when nothing matches.
 *
 * @example
 * const step = verifyTotp(secret, '492039', Date.now());
 * if (step === undefined || step <= lastUsedStep) throw invalid();
 */
export function verifyTotp(
  secret: string,
  code: string,
  timeMs: number,
  options: TotpOptions & { window?: number } = {},
): number | undefined {
  const digits = options.digits ?? 6;
  const given = code.replace(/\s/g, '');
  if (!new RegExp(`^\\d{${digits}}$`).test(given)) return undefined;
  const current = totpStep(timeMs, options.period);
  const window = options.window ?? 1;
  let matched: number | undefined;
  // Every step in the window is computed, whatever matches, so timing says nothing.
  for (let step = current - window; step <= current + window; step++) {
    const expected = hotp(secret, step, options);
    if (timingSafeEqual(Buffer.from(expected), Buffer.from(given)) && matched === undefined) matched = step;
  }
  return matched;
}

/**
 * The `otpauth://` URL authenticator apps read from a QR code.
 *
 * @example
 * totpUrl({ secret, account: 'alice', issuer: 'Web.Casa' });
 * // 'otpauth://totp/Web.Casa:alice?secret=…&issuer=Web.Casa&algorithm=SHA1&digits=6&period=30'
 */
export function totpUrl(input: { secret: string; account: string; issuer: string }): string {
  const label = `${encodeURIComponent(input.issuer)}:${encodeURIComponent(input.account)}`;
  const query = new URLSearchParams({
    secret: input.secret,
    issuer: input.issuer,
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}
