import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { WebcasaError } from '../errors.js';
import { type AdminAddress, parseAdminAddress } from './caddy-client.js';
import type { CaddyMode, CaddySettings } from './types.js';

/** Settings-store key of the Caddy connection settings (one JSON object). */
export const CADDY_SETTINGS_KEY = 'core.caddy';

/** The environment variables, which win over stored settings. */
export const CADDY_ENV = {
  mode: 'WEBCASA_CADDY',
  admin: 'WEBCASA_CADDY_ADMIN',
  httpPort: 'WEBCASA_CADDY_HTTP_PORT',
  httpsPort: 'WEBCASA_CADDY_HTTPS_PORT',
  bind: 'WEBCASA_CADDY_BIND',
  binary: 'WEBCASA_CADDY_BINARY',
} as const satisfies Record<keyof CaddySettings, string>;

const port = z.number().int().min(1).max(65535);

/** `PUT /api/sites/caddy`: the stored connection settings (null clears one). */
export const caddySettingsSchema = z
  .object({
    mode: z.enum(['managed', 'external', 'off']).nullable().optional(),
    admin: z
      .string()
      .max(200)
      .refine((v) => {
        try {
          parseAdminAddress(v);
          return true;
        } catch {
          return false;
        }
      }, 'is not an admin address (host:port or unix//path/admin.sock)')
      .nullable()
      .optional(),
    httpPort: port.nullable().optional(),
    httpsPort: port.nullable().optional(),
    bind: z
      .string()
      .max(100)
      .refine((v) => v === '' || isIP(v) !== 0, 'must be an IP address, or empty for every interface')
      .nullable()
      .optional(),
    binary: z.string().max(4096).nullable().optional(),
  })
  .strict();

export interface ResolvedCaddySettings {
  mode: CaddyMode;
  modeSource: 'env' | 'settings' | 'default';
  /** Undefined with mode `off`. */
  admin: AdminAddress | undefined;
  httpPort: number;
  httpsPort: number;
  bind: string;
  binary: string | undefined;
  /** Which fields the environment fixed (the settings page shows them read-only). */
  fromEnv: (keyof CaddySettings)[];
}

function envError(name: string, message: string): WebcasaError {
  return new WebcasaError('WEBCASA_CADDY_SETTINGS', `${name}: ${message}`, 400);
}

/**
 * The Caddy connection: environment first, then stored settings, then defaults
 * (managed; admin on a unix socket under `<dataDir>/caddy`; ports 80 and 443).
 * A bad environment value throws, naming the variable.
 */
export function resolveCaddySettings(
  env: Record<string, string | undefined>,
  stored: CaddySettings,
  dataDir: string,
): ResolvedCaddySettings {
  const fromEnv: (keyof CaddySettings)[] = [];
  const read = (key: keyof CaddySettings): string | undefined => {
    const value = env[CADDY_ENV[key]]?.trim();
    if (value === undefined || value === '') return undefined;
    fromEnv.push(key);
    return value;
  };

  const envMode = read('mode');
  if (envMode !== undefined && !['managed', 'external', 'off'].includes(envMode)) {
    throw envError(CADDY_ENV.mode, `"${envMode}" is not managed, external or off`);
  }
  const mode = (envMode ?? stored.mode ?? 'managed') as CaddyMode;
  const modeSource = envMode ? 'env' : stored.mode ? 'settings' : 'default';

  const readPort = (key: 'httpPort' | 'httpsPort', fallback: number): number => {
    const text = read(key);
    if (text === undefined) return stored[key] ?? fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
      throw envError(CADDY_ENV[key], `"${text}" is not a port between 1 and 65535`);
    }
    return n;
  };
  const httpPort = readPort('httpPort', 80);
  const httpsPort = readPort('httpsPort', 443);
  if (httpPort === httpsPort) {
    throw envError(CADDY_ENV.httpsPort, `the HTTP and HTTPS ports must differ (both ${httpPort})`);
  }

  const bind = read('bind') ?? stored.bind ?? '';
  if (bind !== '' && !isIP(bind)) throw envError(CADDY_ENV.bind, `"${bind}" is not an IP address`);

  const binary = read('binary') ?? stored.binary ?? undefined;

  let admin: AdminAddress | undefined;
  const adminText = read('admin');
  if (mode !== 'off') {
    const text =
      adminText ??
      stored.admin ??
      (mode === 'managed' ? `unix/${join(dataDir, 'caddy', 'admin.sock')}` : 'localhost:2019');
    try {
      admin = parseAdminAddress(text);
    } catch (error) {
      const source = adminText ? CADDY_ENV.admin : 'the admin address';
      throw envError(
        source,
        `${(error as Error).message}${adminText ? '' : ' (set WEBCASA_CADDY_ADMIN to a shorter path or 127.0.0.1:<port>)'}`,
      );
    }
  }
  return { mode, modeSource, admin, httpPort, httpsPort, bind, binary, fromEnv };
}
