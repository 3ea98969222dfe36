import type { Manifest } from '@webcasa/plugin-sdk';
import { configDefaults } from '@webcasa/plugin-sdk';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest } from '../errors.js';
import type { SettingsStore } from './settings-store.js';

/** What API answers show instead of a secret's value. */
export const SECRET_MASK = '••••••••';

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
    const validate = this.ajv.compile({ additionalProperties: false, ...(manifest.config ?? { type: 'object', properties: {} }) });
    this.validators.set(manifest.id, { manifest, validate });
    return validate;
  }

  private secretKeys(manifest: Manifest): Set<string> {
    const keys = new Set<string>();
    for (const [key, prop] of Object.entries(manifest.config?.properties ?? {})) if (prop.secret) keys.add(key);
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
      throw badRequest(describe(error), fieldOf(error), { issues: validate.errors!.map((e) => ({ field: fieldOf(e), message: describe(e) })) });
    }
    const prefix = `plugin.${manifest.id}.`;
    const entries = Object.keys(manifest.config?.properties ?? {}).map((key) => ({
      key: prefix + key,
      value: next[key],
      secret: secrets.has(key),
    }));
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

  watch(pluginId: string, listener: Listener): () => void {
    let set = this.listeners.get(pluginId);
    if (!set) this.listeners.set(pluginId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Drop the plugin's watchers (on disable). */
  unwatchAll(pluginId: string): void {
    this.listeners.delete(pluginId);
  }
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
