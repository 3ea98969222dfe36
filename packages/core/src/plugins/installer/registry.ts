import { createHash } from 'node:crypto';
import semver from 'semver';
import { WebcasaError } from '../../errors.js';
import type { SettingsStore } from '../../settings/settings-store.js';

/** The npm registry used when neither the setting nor `WEBCASA_NPM_REGISTRY` names one. */
export const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

/** Settings keys (core KV) of the registry; the token is stored encrypted. */
export const REGISTRY_KEYS = { url: 'core.npm.registry', token: 'core.npm.token' } as const;

export interface RegistryConfig {
  /** Always ends with `/`. */
  url: string;
  token?: string;
}

/**
 * The registry to use: the `core.npm.registry` setting, else env
 * `WEBCASA_NPM_REGISTRY`, else npmjs.org. The token comes from the encrypted
 * `core.npm.token` setting.
 */
export async function readRegistryConfig(
  settings: SettingsStore,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryConfig> {
  const stored = await settings.get(REGISTRY_KEYS.url);
  const token = await settings.get(REGISTRY_KEYS.token);
  const url = typeof stored === 'string' && stored ? stored : env.WEBCASA_NPM_REGISTRY || DEFAULT_REGISTRY;
  return {
    url: url.endsWith('/') ? url : `${url}/`,
    token: typeof token === 'string' && token ? token : undefined,
  };
}

/** Save the registry URL and (encrypted) token; `null` clears a value. */
export async function writeRegistryConfig(
  settings: SettingsStore,
  input: { url?: string | null; token?: string | null },
): Promise<void> {
  const entries: { key: string; value: unknown; secret?: boolean }[] = [];
  if (input.url !== undefined) entries.push({ key: REGISTRY_KEYS.url, value: input.url ?? undefined });
  if (input.token !== undefined)
    entries.push({ key: REGISTRY_KEYS.token, value: input.token ?? undefined, secret: true });
  await settings.setMany(entries);
}

export interface PackageSpec {
  name: string;
  /** A semver range, exact version or dist-tag; `latest` when none was given. */
  range: string;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** Parse `name`, `name@range`, `@scope/name@range`. Throws a 400-type error naming the spec. */
export function parseSpec(spec: string): PackageSpec {
  const trimmed = spec.trim();
  const at = trimmed.indexOf('@', 1);
  const name = at === -1 ? trimmed : trimmed.slice(0, at);
  const range = at === -1 ? 'latest' : trimmed.slice(at + 1) || 'latest';
  if (!NAME.test(name) || name.length > 214) {
    throw new WebcasaError('WEBCASA_INSTALL_BAD_SPEC', `"${spec}" is not a valid npm package name`, 400);
  }
  if (!semver.validRange(range) && !/^[a-z][a-z0-9._-]*$/i.test(range)) {
    throw new WebcasaError(
      'WEBCASA_INSTALL_BAD_SPEC',
      `"${range}" in "${spec}" is not a semver range or tag`,
      400,
    );
  }
  return { name, range };
}

export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<
    string,
    {
      version: string;
      keywords?: string[];
      dist: { tarball: string; integrity?: string; shasum?: string };
      deprecated?: string;
    }
  >;
}

function headers(config: RegistryConfig): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' };
  if (config.token) h.authorization = `Bearer ${config.token}`;
  return h;
}

async function registryFetch(url: string, config: RegistryConfig, what: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: headers(config), signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new WebcasaError(
      'WEBCASA_REGISTRY_UNREACHABLE',
      `${what}: the registry ${config.url} cannot be reached: ${(error as Error).message}`,
      502,
    );
  }
  return res;
}

/** The registry's document of one package (all versions). */
export async function fetchPackument(config: RegistryConfig, name: string): Promise<Packument> {
  const res = await registryFetch(`${config.url}${name.replace('/', '%2f')}`, config, name);
  if (res.status === 404) {
    throw new WebcasaError(
      'WEBCASA_INSTALL_NOT_FOUND',
      `package ${name} is not in the registry ${config.url}`,
      404,
    );
  }
  if (!res.ok) {
    throw new WebcasaError(
      'WEBCASA_REGISTRY_ERROR',
      `${name}: the registry ${config.url} answered ${res.status}`,
      502,
    );
  }
  return (await res.json()) as Packument;
}

/** The highest version matching `range` (or the tag it names); undefined when none does. */
export function pickVersion(packument: Packument, range: string): string | undefined {
  const tagged = packument['dist-tags']?.[range];
  if (tagged && packument.versions[tagged]) return tagged;
  return semver.maxSatisfying(Object.keys(packument.versions), range) ?? undefined;
}

export interface Tarball {
  data: Buffer;
  /** The registry's Subresource Integrity string the bytes were checked against. */
  integrity: string;
  /** Lower-case hex SHA-256 of the tarball, recorded with the installation. */
  sha256: string;
}

/** Check bytes against an SRI string (`sha512-…`, several allowed) or a legacy sha1 `shasum`. */
export function verifyIntegrity(data: Buffer, integrity: string | undefined, shasum?: string): string {
  if (integrity) {
    for (const part of integrity.trim().split(/\s+/)) {
      const dash = part.indexOf('-');
      const algo = part.slice(0, dash);
      if (!['sha512', 'sha384', 'sha256'].includes(algo)) continue;
      const expected = part.slice(dash + 1).split('?')[0];
      if (createHash(algo).update(data).digest('base64') === expected) return part;
      throw new WebcasaError(
        'WEBCASA_INSTALL_INTEGRITY',
        `the tarball does not match the registry's integrity ${algo} hash; refusing to install it`,
        502,
      );
    }
  }
  if (shasum) {
    if (createHash('sha1').update(data).digest('hex') === shasum) return `sha1-${shasum}`;
    throw new WebcasaError(
      'WEBCASA_INSTALL_INTEGRITY',
      'the tarball does not match the registry shasum',
      502,
    );
  }
  throw new WebcasaError(
    'WEBCASA_INSTALL_INTEGRITY',
    'the registry gives no integrity hash for the tarball',
    502,
  );
}

/** Download a version's tarball and verify it against the packument's `dist.integrity`. */
export async function downloadTarball(
  config: RegistryConfig,
  packument: Packument,
  version: string,
): Promise<Tarball> {
  const meta = packument.versions[version];
  if (!meta)
    throw new WebcasaError('WEBCASA_INSTALL_NOT_FOUND', `${packument.name}@${version} does not exist`, 404);
  const res = await registryFetch(meta.dist.tarball, config, `${packument.name}@${version}`);
  if (!res.ok) {
    throw new WebcasaError(
      'WEBCASA_REGISTRY_ERROR',
      `${packument.name}@${version}: downloading the tarball answered ${res.status}`,
      502,
    );
  }
  const data = Buffer.from(await res.arrayBuffer());
  const integrity = verifyIntegrity(data, meta.dist.integrity, meta.dist.shasum);
  return { data, integrity, sha256: createHash('sha256').update(data).digest('hex') };
}

export interface SearchHit {
  name: string;
  version: string;
  description: string;
  keywords: string[];
  date?: string;
  publisher?: string;
  links?: Record<string, string>;
}

/** The registry's search API (`/-/v1/search`), limited to packages with keyword `webcasa-plugin`. */
export async function searchRegistry(config: RegistryConfig, q: string, size = 20): Promise<SearchHit[]> {
  // npmjs understands the `keywords:` qualifier; registries that do not (verdaccio) get plain text.
  let hits = await searchOnce(config, `keywords:webcasa-plugin ${q.trim()}`.trim(), size);
  if (hits.length === 0) hits = await searchOnce(config, q.trim() || 'webcasa-plugin', size);
  // Some registries (verdaccio) leave the version out of search results: take the `latest` tag.
  return Promise.all(
    hits.map(async (hit) => {
      if (hit.version) return hit;
      const latest = await fetchPackument(config, hit.name).then(
        (p) => p['dist-tags']?.latest,
        () => undefined,
      );
      return { ...hit, version: latest ?? '' };
    }),
  );
}

async function searchOnce(config: RegistryConfig, text: string, size: number): Promise<SearchHit[]> {
  const res = await registryFetch(
    `${config.url}-/v1/search?text=${encodeURIComponent(text)}&size=${size}`,
    config,
    'search',
  );
  if (!res.ok) {
    throw new WebcasaError(
      'WEBCASA_REGISTRY_ERROR',
      `search: the registry ${config.url} answered ${res.status}`,
      502,
    );
  }
  const body = (await res.json()) as {
    objects?: { package: Omit<SearchHit, 'publisher'> & { publisher?: { username?: string } } }[];
  };
  return (body.objects ?? [])
    .map((o) => o.package)
    .filter((p) => Array.isArray(p.keywords) && p.keywords.includes('webcasa-plugin'))
    .map((p) => ({
      name: p.name,
      version: p.version,
      description: p.description ?? '',
      keywords: p.keywords ?? [],
      date: p.date,
      publisher: p.publisher?.username,
      links: p.links,
    }));
}
