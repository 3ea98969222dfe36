import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  hotp,
  totpCode,
  totpStep,
  totpUrl,
  verifyTotp,
} from './totp.js';

const SHA1_SECRET = base32Encode(Buffer.from('12345678901234567890'));
const SHA256_SECRET = base32Encode(Buffer.from('12345678901234567890123456789012'));
const SHA512_SECRET = base32Encode(
  Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
);

describe('base32 (RFC 4648 vectors)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  it.each(vectors)('%j <-> %s', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded);
    expect(base32Decode(encoded).toString()).toBe(plain);
  });

  it('decodes case-insensitively, ignoring padding and spaces, and refuses other characters', () => {
    expect(base32Decode('mzxw 6ytb oi======').toString()).toBe('foobar');
    expect(() => base32Decode('MZXW1')).toThrow(/invalid base32/);
  });

  it('round-trips random secrets', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
  });
});

describe('HOTP (RFC 4226 appendix D)', () => {
  const expected = [
    '755224',
    '287082',
    '359152',
    '969429',
    '338314',
    '254676',
    '287922',
    '162583',
    '399871',
    '520489',
  ];
  it.each(expected.map((code, counter) => [counter, code] as const))('counter %i -> %s', (counter, code) => {
    expect(hotp(SHA1_SECRET, counter)).toBe(code);
  });
});

describe('TOTP (RFC 6238 appendix B)', () => {
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('T=%i', (seconds, sha1, sha256, sha512) => {
    const time = seconds * 1000;
    expect(totpCode(SHA1_SECRET, time, { digits: 8 })).toBe(sha1);
    expect(totpCode(SHA256_SECRET, time, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totpCode(SHA512_SECRET, time, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });

  it('defaults to 6 digits (the last 6 of the 8-digit value)', () => {
    expect(totpCode(SHA1_SECRET, 59_000)).toBe('287082');
  });
});

describe('verifyTotp', () => {
  const secret = generateTotpSecret();
  const now = 1_700_000_015_000;

  it('accepts the current step and one step either side, returning the step', () => {
    const step = totpStep(now);
    expect(verifyTotp(secret, totpCode(secret, now), now)).toBe(step);
    expect(verifyTotp(secret, totpCode(secret, now - 30_000), now)).toBe(step - 1);
    expect(verifyTotp(secret, totpCode(secret, now + 30_000), now)).toBe(step + 1);
  });

  it('refuses codes two steps away, malformed codes and other secrets', () => {
    expect(verifyTotp(secret, totpCode(secret, now - 60_000), now)).toBeUndefined();
    expect(verifyTotp(secret, totpCode(secret, now + 60_000), now)).toBeUndefined();
    expect(verifyTotp(secret, '12345', now)).toBeUndefined();
    expect(verifyTotp(secret, 'abcdef', now)).toBeUndefined();
    const other = generateTotpSecret();
    // (A random collision is possible in theory; over three steps it is 3 in a million.)
    expect(verifyTotp(other, totpCode(secret, now), now)).toBeUndefined();
  });

  it('tolerates spaces inside a typed code', () => {
    const code = totpCode(secret, now);
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, now)).toBe(totpStep(now));
  });
});

describe('totpUrl', () => {
  it('builds an otpauth URL authenticator apps read', () => {
    const url = new URL(totpUrl({ secret: 'JBSWY3DPEHPK3PXP', account: 'alice', issuer: 'Web.Casa' }));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Web.Casa:alice');
    expect(url.searchParams.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(url.searchParams.get('issuer')).toBe('Web.Casa');
    expect(url.searchParams.get('period')).toBe('30');
  });
});
