import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Shown on the Sites page when no caddy binary is found. */
export const INSTALL_HINT =
  'Caddy was not found. Install it (Debian/Ubuntu: `sudo apt install caddy`; others: ' +
  'https://caddyserver.com/docs/install), then the panel starts it within a minute. ' +
  "Debian's package also enables its own caddy.service on ports 80/443: run " +
  '`sudo systemctl disable --now caddy` to let the panel manage Caddy, or keep it and set ' +
  'WEBCASA_CADDY=external with WEBCASA_CADDY_ADMIN=localhost:2019. ' +
  'A binary elsewhere: set WEBCASA_CADDY_BINARY=/path/to/caddy.';

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The caddy binary to run: `configured` (a path, or a name looked up on PATH),
 * else `caddy` on PATH. Undefined when there is none.
 */
export function findCaddyBinary(configured?: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  const name = configured?.trim() || 'caddy';
  if (isAbsolute(name) || name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/** `caddy version` → `v2.6.2` (undefined when it cannot be run). */
export function caddyVersion(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['version'], { timeout: 10_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      resolve(stdout.trim().split(/\s+/)[0] || undefined);
    });
  });
}

/**
 * bcrypt-hash a password with `caddy hash-password`, giving it on stdin (never
 * on the command line, where other users could read it in the process list).
 */
export function hashPasswordWithCaddy(binary: string, plain: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      binary,
      ['hash-password', '--algorithm', 'bcrypt'],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`caddy hash-password failed: ${stderr.trim() || error.message}`));
        const hash = stdout.trim().split('\n').pop()?.trim() ?? '';
        if (!hash.startsWith('$2')) return reject(new Error('caddy hash-password gave no bcrypt hash'));
        resolve(hash);
      },
    );
    // Caddy reads the password up to the first newline when stdin is not a terminal.
    child.stdin?.end(`${plain}\n`);
  });
}
