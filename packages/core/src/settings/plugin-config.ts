import type { Manifest } from '@webcasa/plugin-sdk';
import { configDefaults } from '@webcasa/plugin-sdk';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { badRequest, conflict, notFound } from '../errors.js';
import type { SettingsStore } from './settings-store.js';

/** What API answers show instead of a secret's value. */
export const SECRET_MASK = '••••••••';

/** Keys no config write may set: they identify the plugin, not configure it. */
export const PROTECTED_FIELDS = ['id', 'plugin', 'entry', 'version', 'engine'] as const;

const DEFAULT_PROFILE = 'default';
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

type Listener = (config: Record<string, unknown>) => void | Promise<void>;

/**
 * Per-plugin configuration: the manifest's JSON Schema with defaults, stored
 * as `plugin.<id>.<key>` in the settings KV; fields marked `secret` are
 * encrypted at rest and masked in API answers.
 */
export class PluginConfigService {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, useDefaults: false });
  private readonly validators = new Map<string, { manifest: Manifest; validate: ValidateFunction }>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly store: SettingsStore) {
    this.ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
    this.ajv.addKeyword({ keyword: 'advanced', schemaType: 'boolean' });
  }

  private validator(manifest: Manifest): ValidateFunction {
    const cached = this.validators.get(manifest.id);
    if (cached && cached.manifest === manifest) return cached.validate;
    const validate = this.ajv.compile({
      additionalProperties: false,
      ...(manifest.config ?? { type: 'object', properties: {} }),
    });
    this.validators.set(manifest.id, { manifest, validate });
    return validate;
  }

  private secretKeys(manifest: Manifest): Set<string> {
    const keys = new Set<string>();
    for (const [key, prop] of Object.entries(manifest.config?.properties ?? {}))
      if (prop.secret) keys.add(key);
    return keys;
  }

  /** The plugin's config with defaults applied and secrets decrypted. */
  async get(manifest: Manifest): Promise<Record<string, unknown>> {
    const config = configDefaults(manifest);
    const prefix = `plugin.${manifest.id}.`;
    for (const entry of await this.store.list(prefix)) {
      const key = entry.key.slice(prefix.length);
      if (key in (manifest.config?.properties ?? {})) config[key] = entry.value;
    }
    return config;
  }

  /** The config for API answers: secrets replaced by {@link SECRET_MASK} when set. */
  async getMasked(manifest: Manifest): Promise<Record<string, unknown>> {
    const config = await this.get(manifest);
    for (const key of this.secretKeys(manifest)) if (config[key]) config[key] = SECRET_MASK;
    return config;
  }

  /**
   * Validate `patch` merged over the current config and store it. A secret
   * field sent back as the mask keeps its stored value. Throws a 400 naming
   * the first bad field (`body.<key>`); nothing is stored then.
   */
  async set(manifest: Manifest, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (const key of PROTECTED_FIELDS) {
      if (key in patch && !(key in (manifest.config?.properties ?? {}))) {
        throw badRequest(`body.${key}: is a protected field and cannot be changed`, `body.${key}`);
      }
    }
    const current = await this.get(manifest);
    const secrets = this.secretKeys(manifest);
    const next: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (secrets.has(key) && value === SECRET_MASK) continue;
      if (value === null && !(manifest.config?.properties[key]?.type === 'object')) {
        // null resets a field to its default.
        delete next[key];
        const def = configDefaults(manifest)[key];
        if (def !== undefined) next[key] = def;
        continue;
      }
      next[key] = value;
    }
    const validate = this.validator(manifest);
    if (!validate(next)) {
      const error = validate.errors![0]!;
      throw badRequest(describe(error), fieldOf(error), {
        issues: validate.errors!.map((e) => ({ field: fieldOf(e), message: describe(e) })),
      });
    }
    const prefix = `plugin.${manifest.id}.`;
    const entries: { key: string; value: unknown; secret?: boolean }[] = Object.keys(
      manifest.config?.properties ?? {},
    ).map((key) => ({ key: prefix + key, value: next[key], secret: secrets.has(key) }));
    // The active profile follows every change, in the same transaction.
    const active = await this.activeProfile(manifest.id);
    entries.push({
      key: profileKey(manifest.id, active),
      value: definedOnly(next),
      secret: secrets.size > 0,
    });
    await this.store.setMany(entries);
    const config = await this.get(manifest);
    for (const listener of this.listeners.get(manifest.id) ?? []) {
      try {
        await listener(structuredClone(config));
      } catch {
        // A watcher's failure is the plugin's problem (it is logged by the context); the write stands.
      }
    }
    return config;
  }

  /** Whether the plugin follows config changes itself (else the host reloads it). */
  hasWatchers(pluginId: string): boolean {
    return (this.listeners.get(pluginId)?.size ?? 0) > 0;
  }

  private async activeProfile(pluginId: string): Promise<string> {
    const name = await this.store.get(`pluginprofile-active.${pluginId}`);
    return typeof name === 'string' ? name : DEFAULT_PROFILE;
  }

  /** Named profiles of a plugin's settings; one is active. */
  async profiles(manifest: Manifest): Promise<{ name: string; active: boolean }[]> {
    const active = await this.activeProfile(manifest.id);
    const prefix = `pluginprofile.${manifest.id}.`;
    const names = new Set((await this.store.list(prefix)).map((e) => e.key.slice(prefix.length)));
    names.add(active);
    return [...names].sort().map((name) => ({ name, active: name === active }));
  }

  /** Create a profile as a copy of another (default: the current settings). */
  async createProfile(manifest: Manifest, name: string, copyFrom?: string): Promise<void> {
    if (!PROFILE_NAME.test(name))
      throw badRequest('body.name: 1-40 lowercase letters, digits, _ or -', 'body.name');
    const existing = await this.profiles(manifest);
    if (existing.some((p) => p.name === name))
      throw conflict(`profile "${name}" already exists`, 'body.name');
    let values: Record<string, unknown>;
    if (copyFrom === undefined) values = await this.get(manifest);
    else {
      if (!existing.some((p) => p.name === copyFrom)) throw notFound(`no profile "${copyFrom}"`);
      values = await this.profileValues(manifest, copyFrom);
    }
    await this.store.set(profileKey(manifest.id, name), definedOnly(values), {
      secret: this.secretKeys(manifest).size > 0,
    });
  }

  private async profileValues(manifest: Manifest, name: string): Promise<Record<string, unknown>> {
    if (name === (await this.activeProfile(manifest.id))) return this.get(manifest);
    const stored = await this.store.get(profileKey(manifest.id, name));
    return { ...configDefaults(manifest), ...((stored as Record<string, unknown> | undefined) ?? {}) };
  }

  /** Make a profile the active one: its values become the plugin's settings (validated first). */
  async activateProfile(manifest: Manifest, name: string): Promise<Record<string, unknown>> {
    const profiles = await this.profiles(manifest);
    if (!profiles.some((p) => p.name === name)) throw notFound(`no profile "${name}"`);
    const values = await this.profileValues(manifest, name);
    // Validate before switching, so a broken profile never becomes active.
    const validate = this.validator(manifest);
    if (!validate(definedOnly(values))) {
      const error = validate.errors![0]!;
      throw badRequest(`profile "${name}": ${describe(error)}`, fieldOf(error));
    }
    await this.store.set(`pluginprofile-active.${manifest.id}`, name);
    const reset: Record<string, unknown> = {};
    for (const key of Object.keys(manifest.config?.properties ?? {})) reset[key] = values[key] ?? null;
    return this.set(manifest, reset);
  }

  async deleteProfile(manifest: Manifest, name: string): Promise<void> {
    const profiles = await this.profiles(manifest);
    const profile = profiles.find((p) => p.name === name);
    if (!profile) throw notFound(`no profile "${name}"`);
    if (profile.active) throw conflict(`profile "${name}" is active; activate another one first`);
    await this.store.delete(profileKey(manifest.id, name));
  }

  /** The settings as TOML (secrets masked; sending the mask back keeps them). */
  async toToml(manifest: Manifest): Promise<string> {
    const header = `# ${manifest.name} (${manifest.id}) settings\n`;
    return header + stringifyToml(definedOnly(await this.getMasked(manifest)));
  }

  /** Replace settings from TOML text: parsed, validated, then stored (all or nothing). */
  async fromToml(manifest: Manifest, text: string): Promise<Record<string, unknown>> {
    let parsed: Record<string, unknown>;
    try {
      parsed = parseToml(text) as Record<string, unknown>;
    } catch (error) {
      throw badRequest(`body: not valid TOML: ${(error as Error).message.split('\n')[0]}`, 'body');
    }
    return this.set(manifest, parsed);
  }

  watch(pluginId: string, listener: Listener): () => void {
    let set = this.listeners.get(pluginId);
    if (!set) {
      set = new Set();
      this.listeners.set(pluginId, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Drop the plugin's watchers (on disable). */
  unwatchAll(pluginId: string): void {
    this.listeners.delete(pluginId);
  }
}

function profileKey(pluginId: string, name: string): string {
  return `pluginprofile.${pluginId}.${name}`;
}

/** TOML has no null: unset fields are simply absent. */
function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values))
    if (value !== undefined && value !== null) out[key] = value;
  return out;
}

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra =
    error.keyword === 'required'
      ? (error.params as { missingProperty: string }).missingProperty
      : error.keyword === 'additionalProperties'
        ? (error.params as { additionalProperty: string }).additionalProperty
        : '';
  const parts = ['body', path, extra].filter(Boolean);
  return parts.join('.');
}

function describe(error: ErrorObject): string {
  const field = fieldOf(error);
  if (error.keyword === 'additionalProperties') return `${field}: is not a setting of this plugin`;
  return `${field}: ${error.message ?? 'is invalid'}`;
}
