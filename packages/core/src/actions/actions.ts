import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ActionHandler, ActionRun, Manifest, PluginRuns, RequestUser, Role } from '@webcasa/plugin-sdk';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest, forbidden, notFound } from '../errors.js';
import { roleAtLeast } from '../http/access.js';

/** A file sent with an action request, already saved to disk. */
export interface UploadedFile {
  field: string;
  name: string;
  path: string;
  size: number;
}

export interface ActionsDeps {
  dataDir: string;
  manifestOf(pluginId: string): Manifest | undefined;
  isRunning(pluginId: string): boolean;
  runsFor(pluginId: string): PluginRuns;
}

/** Where a run's uploaded inputs and downloadable artifacts live. */
export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, 'runs', runId);
}

/** A safe file name for an artifact or upload: no folders, no dot-files. */
export function safeFileName(name: string): string | undefined {
  const base = basename(name.replace(/\\/g, '/')).trim();
  if (!base || base.startsWith('.') || base.includes('\0') || base.length > 200) return undefined;
  return base;
}

/**
 * Actions: operations a plugin declares in its manifest and implements with
 * `ctx.actions.handle()`. Every call validates its input against the declared
 * JSON Schema, checks the caller's role and scopes, and runs as a run.
 */
export class ActionService {
  private readonly handlers = new Map<string, Map<string, ActionHandler>>();
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly validators = new WeakMap<object, ValidateFunction>();

  constructor(private readonly deps: ActionsDeps) {
    for (const keyword of ['secret', 'advanced']) this.ajv.addKeyword({ keyword, schemaType: 'boolean' });
  }

  /** Register a handler (from the plugin's context); returns the unregister function. */
  register(pluginId: string, name: string, handler: ActionHandler): () => void {
    const manifest = this.deps.manifestOf(pluginId);
    if (!manifest?.actions[name]) {
      throw new Error(`plugin ${pluginId} handles action "${name}" that its manifest does not declare`);
    }
    let map = this.handlers.get(pluginId);
    if (!map) {
      map = new Map();
      this.handlers.set(pluginId, map);
    }
    map.set(name, handler);
    return () => {
      if (map.get(name) === handler) map.delete(name);
    };
  }

  /** The actions of running plugins, for the UI and the AI assistant's tools. */
  list(pluginIds: string[]): {
    plugin: string;
    name: string;
    title: string;
    description: string;
    mutating: boolean;
    input: unknown;
    available: boolean;
  }[] {
    const out = [];
    for (const plugin of pluginIds) {
      const manifest = this.deps.manifestOf(plugin);
      for (const [name, action] of Object.entries(manifest?.actions ?? {})) {
        out.push({
          plugin,
          name,
          title: action.title,
          description: action.description,
          mutating: action.mutating,
          input: action.input ?? { type: 'object', properties: {} },
          available: this.handlers.get(plugin)?.has(name) ?? false,
        });
      }
    }
    return out;
  }

  private validator(schema: object): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  /**
   * Check everything, then start the run. Throws 404 for an unknown plugin or
   * action, 403 when the caller may not run it, 400 naming the bad input field.
   */
  async start(request: {
    plugin: string;
    action: string;
    input: unknown;
    user: RequestUser;
    files?: { field: string; name: string; data: Uint8Array }[];
  }): Promise<{ id: string }> {
    const { plugin, action, user } = request;
    const manifest = this.deps.manifestOf(plugin);
    if (!manifest || !this.deps.isRunning(plugin)) throw notFound(`plugin ${plugin} is not running`);
    const def = manifest.actions[action];
    if (!def) throw notFound(`plugin ${plugin} has no action "${action}"`);
    const handler = this.handlers.get(plugin)?.get(action);
    if (!handler) throw notFound(`plugin ${plugin} declares action "${action}" but does not implement it`);

    const scopeName = def.scope;
    const minRole: Role = scopeName
      ? (manifest.scopes[scopeName]?.minRole ?? 'admin')
      : def.mutating
        ? 'operator'
        : 'viewer';
    if (!roleAtLeast(user.role, minRole))
      throw forbidden(`action ${plugin}/${action} needs the ${minRole} role`);
    const permission = scopeName ? `plugin:${plugin}:${scopeName}` : `plugin:${plugin}`;
    if (user.scopes && !user.scopes.includes('*') && !user.scopes.includes(permission)) {
      throw forbidden(`this token is not allowed ${permission}`);
    }

    const input = request.input ?? {};
    const validate = this.validator(def.input ?? { type: 'object' });
    if (!validate(input)) {
      const issues = validate.errors!.map((e) => ({
        field: inputField(e),
        message: `${inputField(e)}: ${e.message ?? 'is invalid'}`,
      }));
      throw badRequest(issues[0]!.message, issues[0]!.field, { issues });
    }
    const files = request.files ?? [];
    for (const file of files) {
      if (!safeFileName(file.name))
        throw badRequest(`files: "${file.name}" is not an acceptable file name`, `files.${file.field}`);
    }

    const dataDir = this.deps.dataDir;
    return this.deps.runsFor(plugin).start(
      def.title,
      async (run) => {
        const dir = runDir(dataDir, run.id);
        const saved: UploadedFile[] = [];
        if (files.length > 0) {
          await mkdir(join(dir, 'inputs'), { recursive: true });
          for (const file of files) {
            const path = join(dir, 'inputs', safeFileName(file.name)!);
            await writeFile(path, file.data);
            saved.push({
              field: file.field,
              name: safeFileName(file.name)!,
              path,
              size: file.data.byteLength,
            });
          }
        }
        const artifact = async (name: string, data: string | Uint8Array) => {
          const safe = safeFileName(name);
          if (!safe) throw new Error(`artifact name "${name}" is not acceptable`);
          await mkdir(join(dir, 'artifacts'), { recursive: true });
          await writeFile(join(dir, 'artifacts', safe), data);
        };
        const actionRun: ActionRun = {
          id: run.id,
          signal: run.signal,
          log: (line, level) => run.log(line, level),
          progress: (fraction, message) => run.progress(fraction, message),
          files: saved,
          artifact,
        };
        const result = await handler(input, actionRun);
        if (result !== undefined) await artifact('result.json', `${JSON.stringify(result, null, 2)}\n`);
      },
      { createdBy: user.username },
    );
  }

  /** Forget a plugin's handlers (on stop). */
  forget(pluginId: string): void {
    this.handlers.delete(pluginId);
  }
}

function inputField(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const extra =
    error.keyword === 'required' ? (error.params as { missingProperty: string }).missingProperty : '';
  return ['body.input', path, extra].filter(Boolean).join('.');
}
