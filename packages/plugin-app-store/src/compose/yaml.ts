// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose variables like ${APP_PORT} are literal text here
import { type ComposeDoc, type ComposeOptions, type ComposeService, mainPortMapping } from './types.js';

const RUNTIPI_NETWORK = 'tipi_main_network';

export interface YamlComposeIssue {
  path: string;
  message: string;
}

/**
 * Runtipi's `docker-compose.yml` (the legacy form, and the newer one with `x-runtipi`
 * schema_version 2 blocks) made runnable here: the `x-runtipi` blocks are read and removed
 * (the main service gets its port published), Runtipi's external network and fixed
 * `container_name`s are removed (they would collide between installs and do not exist here).
 */
export function yamlToCompose(
  input: unknown,
  options: ComposeOptions,
): { doc: ComposeDoc; issues: YamlComposeIssue[] } {
  const issues: YamlComposeIssue[] = [];
  if (!isRecord(input) || !isRecord(input.services) || Object.keys(input.services).length === 0) {
    return {
      doc: { services: {} },
      issues: [{ path: 'services', message: 'must be a map of at least one service' }],
    };
  }
  const doc: ComposeDoc = { services: {} };
  for (const [key, value] of Object.entries(input)) {
    if (key === 'services' || key === 'x-runtipi' || key === 'version' || key === 'networks') continue;
    doc[key] = value;
  }
  if (isRecord(input.networks)) {
    const networks = { ...input.networks };
    delete networks[RUNTIPI_NETWORK];
    if (Object.keys(networks).length) doc.networks = networks;
  }
  for (const [name, raw] of Object.entries(input.services)) {
    if (!isRecord(raw)) {
      issues.push({ path: `services.${name}`, message: 'must be a map' });
      continue;
    }
    if (typeof raw.image !== 'string' && raw.build === undefined) {
      issues.push({ path: `services.${name}.image`, message: 'is required (a string)' });
    }
    const service: ComposeService = { ...raw };
    const meta = isRecord(raw['x-runtipi']) ? raw['x-runtipi'] : undefined;
    delete service['x-runtipi'];
    delete service.container_name;
    service.networks = withoutRuntipiNetwork(raw.networks);
    if (service.networks === undefined) delete service.networks;
    let ports = Array.isArray(raw.ports) ? raw.ports.map((p) => rebind(p, options)) : undefined;
    const internal = meta?.internal_port;
    if (meta?.is_main === true && (typeof internal === 'number' || typeof internal === 'string')) {
      ports = [mainPortMapping(internal, options.publish), ...(ports ?? [])];
    }
    if (ports) service.ports = ports;
    if (service.restart === undefined) service.restart = 'unless-stopped';
    doc.services[name] = service;
  }
  return { doc, issues };
}

/** The main service's `internal_port` from the v2 form, or a `${APP_PORT}:<port>` mapping of the legacy form. */
export function yamlMain(input: unknown): { service: string; internalPort: number | string } | null {
  if (!isRecord(input) || !isRecord(input.services)) return null;
  for (const [name, raw] of Object.entries(input.services)) {
    if (!isRecord(raw)) continue;
    const meta = isRecord(raw['x-runtipi']) ? raw['x-runtipi'] : undefined;
    if (meta?.is_main === true && meta.internal_port !== undefined) {
      return { service: name, internalPort: meta.internal_port as number | string };
    }
    for (const p of Array.isArray(raw.ports) ? raw.ports : []) {
      const m = typeof p === 'string' ? /\$\{APP_PORT\}:(\d+)/.exec(p) : null;
      if (m?.[1]) return { service: name, internalPort: Number(m[1]) };
    }
  }
  return null;
}

// A legacy `${APP_PORT}:80` mapping bound to loopback when the app is reached through Caddy only.
function rebind(port: unknown, options: ComposeOptions): unknown {
  if (options.publish !== 'loopback' || typeof port !== 'string') return port;
  return port.startsWith('${APP_PORT}:') ? `127.0.0.1:${port}` : port;
}

function withoutRuntipiNetwork(networks: unknown): unknown {
  if (Array.isArray(networks)) {
    const rest = networks.filter((n) => n !== RUNTIPI_NETWORK);
    return rest.length ? rest : undefined;
  }
  if (isRecord(networks)) {
    const rest = { ...networks };
    delete rest[RUNTIPI_NETWORK];
    return Object.keys(rest).length ? rest : undefined;
  }
  return networks;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
