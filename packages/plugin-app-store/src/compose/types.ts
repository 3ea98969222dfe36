// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables like ${APP_PORT} are literal text here
/** A compose file as an object (what `docker compose` reads, before YAML). */
export interface ComposeDoc {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}
export type ComposeService = Record<string, unknown>;

/**
 * How the main service's port reaches the host:
 * - `all`: `${APP_PORT}:<internal>` on every interface (the app is used on its port);
 * - `loopback`: `127.0.0.1:${APP_PORT}:<internal>`, so only Caddy (same machine) reaches it,
 *   for apps exposed through a domain only.
 */
export type PublishMode = 'all' | 'loopback';

export interface ComposeOptions {
  publish: PublishMode;
}

/** The port mapping of the main service. */
export function mainPortMapping(internalPort: number | string, publish: PublishMode): string {
  return `${publish === 'loopback' ? '127.0.0.1:' : ''}\${APP_PORT}:${internalPort}`;
}
