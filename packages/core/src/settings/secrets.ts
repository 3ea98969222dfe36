import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { WebcasaError } from '../errors.js';

/** Encrypts values at rest. The envelope is text, safe to keep in SQLite. */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(envelope: string): string;
  isEnvelope(value: string): boolean;
}

const PREFIX = 'wcenc:v1:';

/**
 * Load `<dataDir>/secret.key` (32 random bytes), creating it with mode 0600 on
 * first start. The file is written to a temporary name and renamed, so a crash
 * never leaves a truncated key behind.
 */
export function loadOrCreateKey(dataDir: string): Buffer {
  const file = join(dataDir, 'secret.key');
  try {
    const key = readFileSync(file);
    if (key.length !== 32) {
      throw new WebcasaError(
        'WEBCASA_SECRET_KEY_INVALID',
        `${file} must hold exactly 32 bytes (found ${key.length})`,
      );
    }
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return key;
}

/**
 * AES-256-GCM with a fresh 12-byte nonce per value.
 * Envelope: `wcenc:v1:<base64 nonce>:<base64 tag>:<base64 ciphertext>`.
 */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('secret key must be 32 bytes');
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return `${PREFIX}${iv.toString('base64')}:${tag.toString('base64')}:${data.toString('base64')}`;
    },
    decrypt(envelope) {
      if (!envelope.startsWith(PREFIX))
        throw new WebcasaError('WEBCASA_SECRET_INVALID', 'not an encrypted value');
      const [iv, tag, data] = envelope.slice(PREFIX.length).split(':');
      if (!iv || !tag || data === undefined)
        throw new WebcasaError('WEBCASA_SECRET_INVALID', 'malformed encrypted value');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
        decipher.setAuthTag(Buffer.from(tag, 'base64'));
        return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new WebcasaError(
          'WEBCASA_SECRET_UNREADABLE',
          'an encrypted value could not be decrypted (was secret.key replaced?)',
        );
      }
    },
    isEnvelope(value) {
      return value.startsWith(PREFIX);
    },
  };
}
