import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { assertPasswordRules, hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes into the self-describing scrypt format', async () => {
    const hash = await hashPassword('correct horse battery');
    const parts = hash.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '16384', '8', '1']);
    expect(Buffer.from(parts[4]!, 'base64')).toHaveLength(16);
    expect(Buffer.from(parts[5]!, 'base64')).toHaveLength(64);
  });

  it('verifies the right password and refuses others', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('never matches (nor throws on) malformed or tampered hashes', async () => {
    const hash = await hashPassword('correct horse battery');
    const parts = hash.split('$');
    const flipped = Buffer.from(parts[5]!, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = [...parts.slice(0, 5), flipped.toString('base64')].join('$');
    expect(await verifyPassword('correct horse battery', tampered)).toBe(false);
    for (const bad of [
      '',
      'plain',
      'bcrypt$1$2$3$4$5',
      'scrypt$3$8$1$AAAA$AAAA',
      `scrypt$${2 ** 30}$8$1$${parts[4]}$${parts[5]}`,
    ]) {
      expect(await verifyPassword('correct horse battery', bad)).toBe(false);
    }
  });

  it('reads the cost from the stored hash', async () => {
    // A hash made with other parameters (as a future cost increase would) still verifies.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('older password', salt, 64, { N: 1024, r: 8, p: 1 });
    const stored = `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('older password', stored)).toBe(true);
  });

  it('requires at least 10 characters, naming the field', () => {
    expect(() => assertPasswordRules('123456789')).toThrow(HttpError);
    try {
      assertPasswordRules('short', 'body.newPassword');
    } catch (error) {
      expect(error).toMatchObject({ status: 400, field: 'body.newPassword' });
      expect((error as Error).message).toContain('at least 10');
    }
    expect(() => assertPasswordRules('1234567890')).not.toThrow();
    expect(() => assertPasswordRules('x'.repeat(1025))).toThrow(/at most 1024/);
  });
});
