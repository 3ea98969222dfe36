import semver from 'semver';
import { z } from 'zod';

import { PLUGIN_API_VERSION } from './version.js';

export { PLUGIN_API_VERSION };

export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9-]{1,39}$/;

/** What a plugin may touch. The host refuses context services outside these. */
export const PLUGIN_PERMISSIONS = ['docker', 'exec', 'fs', 'network', 'hosts', 'system', 'users'] as const;
export type PluginPermission = (typeof PLUGIN_PERMISSIONS)[number];

export const PLUGIN_CATEGORIES = [
  'sites',
  'containers',
  'deploy',
  'databases',
  'files',
  'backup',
  'monitoring',
  'apps',
  'ai',
  'security',
  'developer',
  'system',
  'other',
] as const;

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Ids the host uses for itself (event sources, metric labels, log files). */
export const RESERVED_PLUGIN_IDS = ['core', 'panel', 'webcasa'] as const;

const pluginId = z
  .string()
  .regex(
    PLUGIN_ID_PATTERN,
    'must be 2-40 characters: a lowercase letter, then lowercase letters, digits or -',
  )
  .refine(
    (id) => !(RESERVED_PLUGIN_IDS as readonly string[]).includes(id),
    'is reserved for the panel itself',
  );

const semverVersion = z
  .string()
  .refine((v) => semver.valid(v) !== null, 'must be a semver version like 1.2.3');
const semverRange = z
  .string()
  .refine((v) => semver.validRange(v) !== null, 'must be a semver range like ^1.0.0');

const eventType = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/,
    'must be a dotted lowercase name like "docker.container.started"',
  );

/** A Lucide icon name in kebab case, e.g. `container`, `hard-drive`. */
const iconName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be a Lucide icon name in kebab case');

/** One property of the plugin's settings, in JSON Schema with two additions: `secret` and `description`. */
export interface ConfigProperty {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  /** Encrypted at rest, masked in the UI and in API answers. */
  secret?: boolean;
  /** Shown only in advanced mode. */
  advanced?: boolean;
  [keyword: string]: unknown;
}

const configProperty: z.ZodType<ConfigProperty> = z
  .looseObject({
    type: z.enum(['string', 'number', 'integer', 'boolean', 'array', 'object']),
    title: z.string().optional(),
    description: z.string().optional(),
    default: z.unknown().optional(),
    enum: z.array(z.unknown()).optional(),
    secret: z.boolean().optional(),
    advanced: z.boolean().optional(),
  })
  .refine((p) => !(p.secret && p.type !== 'string'), 'secret fields must be of type string');

const configSchema = z.object({
  type: z.literal('object').default('object'),
  properties: z.record(
    z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'config keys must be identifiers'),
    configProperty,
  ),
  required: z.array(z.string()).optional(),
  additionalProperties: z.boolean().optional(),
});

const webRoute = z.object({
  /** Path under `/p/<id>`, e.g. `/` or `/containers/:id`. */
  path: z.string().regex(/^\/[^\s]*$/, 'must start with /'),
  title: z.string().optional(),
});

const menuEntry = z.object({
  path: z.string().regex(/^\/[^\s]*$/, 'must start with /'),
  label: z.string().min(1),
  icon: iconName.optional(),
  group: z.string().default('plugins'),
  order: z.number().int().default(100),
});

const actionDefinition = z.object({
  title: z.string().min(1),
  description: z.string().default(''),
  /** JSON Schema of the action's input (an object), validated before the run starts. */
  input: z
    .looseObject({
      type: z.literal('object').default('object'),
      properties: z.record(z.string(), z.looseObject({})).default({}),
    })
    .optional(),
  /** A scope from `scopes` the caller must hold; default: operator for mutating actions, viewer otherwise. */
  scope: z.string().optional(),
  /** Whether the action changes anything (destructive actions get a confirmation in the UI). */
  mutating: z.boolean().default(true),
});

/** The body limit of every `/api/*` request unless a plugin's manifest raises it for a route. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** The largest body limit a manifest may ask for (64 MiB); the panel refuses manifests asking more. */
export const MAX_PLUGIN_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * One route whose request bodies may be larger (or must be smaller) than the panel's 1 MiB.
 * `path` is relative to `/api/plugins/<id>`, in the router's syntax: `:name` matches one
 * segment, a final `*` the rest of the path.
 */
const bodyLimitRule = z.object({
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
  path: z
    .string()
    .max(200)
    .regex(/^\/[^\s?#]*$/, 'must be a route path like /upload/:id (no query or fragment)')
    .refine((p) => !p.slice(1).split('/').slice(0, -1).includes('*'), 'only the last segment may be *'),
  maxBytes: z
    .number()
    .int()
    .min(1)
    .max(
      MAX_PLUGIN_BODY_LIMIT_BYTES,
      `must be at most ${MAX_PLUGIN_BODY_LIMIT_BYTES} bytes (64 MiB), the panel's cap`,
    ),
});

const scopeDefinition = z.object({
  description: z.string().default(''),
  /** The lowest role that holds this permission. API tokens can be limited to a list of them. */
  minRole: z.enum(ROLES).default('admin'),
});

const author = z.union([
  z.string().min(1),
  z.object({ name: z.string().min(1), email: z.string().optional(), url: z.string().optional() }),
]);

/**
 * The manifest zod schema. The host validates every plugin's manifest with it
 * before it runs a line of the plugin's code.
 */
export const manifestSchema = z
  .object({
    $schema: z.string().optional(),
    id: pluginId,
    name: z.string().min(1).max(80),
    version: semverVersion,
    description: z.string().max(500).default(''),
    author: author.default('unknown'),
    icon: iconName.default('puzzle'),
    category: z.enum(PLUGIN_CATEGORIES).default('other'),
    engine: semverRange,
    dependencies: z.record(pluginId, semverRange).default({}),
    optionalDependencies: z.record(pluginId, semverRange).default({}),
    /** Among plugins whose dependencies are met, higher priority loads first. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    permissions: z.array(z.enum(PLUGIN_PERMISSIONS)).default([]),
    /** Permission strings this plugin's routes check, as `plugin:<id>:<name>` at run time. */
    scopes: z
      .record(
        z.string().regex(/^[a-z][a-z0-9.-]*$/, 'scope names are lowercase dotted words'),
        scopeDefinition,
      )
      .default({}),
    config: configSchema.optional(),
    /** Operations users, the CLI and the AI assistant can run; each call is a run. */
    actions: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, 'action names are lowercase words joined by -'),
        actionDefinition,
      )
      .default({}),
    events: z.array(eventType).default([]),
    web: z
      .object({
        routes: z.array(webRoute).default([]),
        menu: z.array(menuEntry).default([]),
      })
      .default({ routes: [], menu: [] }),
    isolation: z.enum(['in-process', 'process']).default('in-process'),
    /** HTTP settings of the plugin's routes (plugin API 1.2). */
    http: z
      .object({
        /** Routes whose request bodies get another limit than the panel's 1 MiB; at most 64 MiB. */
        bodyLimits: z.array(bodyLimitRule).max(32).default([]),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    for (const dep of Object.keys(m.dependencies)) {
      if (dep === m.id)
        ctx.addIssue({
          code: 'custom',
          path: ['dependencies', dep],
          message: 'a plugin cannot depend on itself',
        });
      if (dep in m.optionalDependencies)
        ctx.addIssue({
          code: 'custom',
          path: ['optionalDependencies', dep],
          message: 'listed as both required and optional',
        });
    }
    for (const [name, action] of Object.entries(m.actions)) {
      if (action.scope && !(action.scope in m.scopes)) {
        ctx.addIssue({
          code: 'custom',
          path: ['actions', name, 'scope'],
          message: `scope "${action.scope}" is not declared in scopes`,
        });
      }
    }
    const seenLimits = new Set<string>();
    for (const [i, rule] of (m.http?.bodyLimits ?? []).entries()) {
      const key = `${rule.method} ${rule.path.replace(/:[^/]+/g, ':')}`;
      if (seenLimits.has(key))
        ctx.addIssue({
          code: 'custom',
          path: ['http', 'bodyLimits', i, 'path'],
          message: `${rule.method} ${rule.path} is listed twice`,
        });
      seenLimits.add(key);
    }
    const props = m.config?.properties ?? {};
    for (const key of m.config?.required ?? []) {
      if (!(key in props))
        ctx.addIssue({ code: 'custom', path: ['config', 'required'], message: `"${key}" is not a property` });
    }
  });

/** A validated manifest, with defaults applied. */
export type Manifest = z.output<typeof manifestSchema>;
/** What an author writes: defaults may be left out. */
export type ManifestInput = z.input<typeof manifestSchema>;

export class ManifestError extends Error {
  readonly code = 'WEBCASA_MANIFEST_INVALID';
  constructor(
    readonly source: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(
      `invalid plugin manifest in ${source}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'ManifestError';
  }
}

/**
 * Validate unknown data as a manifest. Throws a {@link ManifestError} naming
 * each bad field.
 *
 * @example
 * const manifest = parseManifest(JSON.parse(text), 'node_modules/acme/manifest.json');
 */
export function parseManifest(data: unknown, source = 'manifest'): Manifest {
  const result = manifestSchema.safeParse(data);
  if (!result.success) {
    throw new ManifestError(
      source,
      result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  return result.data;
}

/**
 * Identity helper that type-checks a manifest written in TypeScript.
 * (Packages still ship the manifest as JSON, so the host can read it without running code.)
 */
export function defineManifest<const M extends ManifestInput>(manifest: M): M {
  return manifest;
}

/** Whether a host offering `apiVersion` satisfies a manifest's `engine` range. */
export function engineSatisfies(engine: string, apiVersion = PLUGIN_API_VERSION): boolean {
  return semver.satisfies(apiVersion, engine, { includePrerelease: true });
}

/** Config defaults from a manifest's JSON Schema. */
export function configDefaults(manifest: Pick<Manifest, 'config'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(manifest.config?.properties ?? {})) {
    if (prop.default !== undefined) out[key] = structuredClone(prop.default);
  }
  return out;
}
