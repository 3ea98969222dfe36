import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../errors.js';

/** Shortest password the panel accepts. */
export const MIN_PASSWORD_LENGTH = 10;
/** Longest password the panel accepts (keeps hashing cost bounded). */
export const MAX_PASSWORD_LENGTH = 1024;

const COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;

function scryptAsync(
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/**
 * Check a new password against the panel's rules; throws a 400 naming `field`.
 *
 * @example
 * assertPasswordRules(body.newPassword, 'body.newPassword');
 */
export function assertPasswordRules(password: string, field = 'body.password'): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(`${field}: must be at least ${MIN_PASSWORD_LENGTH} characters`, field);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw badRequest(`${field}: must be at most ${MAX_PASSWORD_LENGTH} characters`, field);
  }
}

/**
 * Hash a password with scrypt (N=16384, r=8, p=1, 16-byte salt, 64-byte key) into
 * the self-describing form `scrypt$16384$8$1$<salt b64>$<hash b64>`, so the cost
 * can be raised later without breaking stored hashes.
 *
 * @example
 * const stored = await hashPassword('correct horse battery');
 * await verifyPassword('correct horse battery', stored); // true
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, KEY_BYTES, { ...COST, maxmem: 256 * COST.N * COST.r });
  return `scrypt$${COST.N}$${COST.r}$${COST.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Verify a password against a stored hash in constant time. A malformed hash
 * never matches (and never throws), so a damaged row cannot be logged into.
 *
 * @example
 * if (!(await verifyPassword(input, user.password_hash))) throw unauthorized();
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a tampered row from asking for gigabytes of memory.
  if (
    ![N, r, p].every(Number.isSafeInteger) ||
    N < 2 ||
    N > 2 ** 20 ||
    (N & (N - 1)) !== 0 ||
    r < 1 ||
    r > 32 ||
    p < 1 ||
    p > 16
  ) {
    return false;
  }
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length === 0 || expected.length < 16) return false;
  const actual = await scryptAsync(password, salt, expected.length, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}
