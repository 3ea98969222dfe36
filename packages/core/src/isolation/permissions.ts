import type { CoreApi, Manifest, PluginPermission } from '@webcasa/plugin-sdk';
import { bindAudit } from '../auth/plugin-audit.js';
import { HttpError, PluginError } from '../errors.js';

/**
 * Which manifest permission each `ctx.core` function needs, when an isolated
 * plugin calls it over RPC. The most specific entry wins: the full path
 * (`hosts.list`), else its group (`hosts`). `null` means any plugin may call
 * it. A path matching no entry is refused: a new CoreApi group stays closed to
 * isolated plugins until it is listed here, so a panel upgrade never hands out
 * a capability by accident.
 *
 * It matches the in-process rule (`guardCore` in plugins/context.ts): reading
 * sites needs nothing, changing them or reloading Caddy needs `hosts`. The
 * child applies that rule too; the panel checks again, because a plugin
 * process is not trusted.
 */
export const CORE_PERMISSIONS: Readonly<Record<string, PluginPermission | null>> = {
  info: null,
  setting: null,
  audit: null,
  'hosts.list': null,
  'hosts.get': null,
  'caddy.status': null,
  hosts: 'hosts',
  caddy: 'hosts',
  sites: 'hosts',
  certificates: 'hosts',
  users: 'users',
  system: 'system',
  docker: 'docker',
  exec: 'exec',
  fs: 'fs',
  network: 'network',
};

/** A plugin called a CoreApi function its manifest's `permissions` do not grant (same code as in-process). */
export class PermissionDeniedError extends PluginError {
  constructor(pluginId: string, permission: string, what: string) {
    super(
      'WEBCASA_PLUGIN_PERMISSION',
      pluginId,
      `plugin ${pluginId} may not call ${what}: its manifest does not ask for the "${permission}" permission`,
      { permission },
    );
    this.name = 'PermissionDeniedError';
  }
}

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);
const SEGMENT = /^[A-Za-z_$][\w$]*$/;

/** The permission a core call path needs: `null` for none, `undefined` when the path is not callable at all. */
export function corePermission(path: readonly string[]): PluginPermission | null | undefined {
  for (let n = path.length; n > 0; n--) {
    const key = path.slice(0, n).join('.');
    if (key in CORE_PERMISSIONS) return CORE_PERMISSIONS[key];
  }
  return undefined;
}

/**
 * The paths of every function in the panel's CoreApi object (`[['info'], ['hosts', 'list'], …]`),
 * sent to the child so its `ctx.core` has the same shape (and survives `{ ...core }`).
 */
export function coreShape(core: object, depth = 3): string[][] {
  const out: string[][] = [];
  const walk = (value: object, path: string[]) => {
    let proto: object | null = value;
    const seen = new Set<string>();
    while (proto && proto !== Object.prototype && proto !== Function.prototype) {
      for (const key of Object.getOwnPropertyNames(proto)) {
        if (seen.has(key) || key === 'constructor' || !SEGMENT.test(key)) continue;
        seen.add(key);
        const child = (value as Record<string, unknown>)[key];
        if (typeof child === 'function') out.push([...path, key]);
        else if (child && typeof child === 'object' && path.length + 1 < depth) walk(child, [...path, key]);
      }
      proto = Object.getPrototypeOf(proto);
    }
  };
  walk(core, []);
  return out.filter((path) => corePermission(path) !== undefined);
}

/**
 * Resolve a `ctx.core` call path to the panel's function, after checking the
 * plugin's permissions. Names that `Object.prototype` or `Function.prototype`
 * carry are never followed, so a path cannot reach the object machinery.
 *
 * @example
 * const create = resolveCoreCall(manifest, core, ['hosts', 'create']); // throws without "hosts"
 * await create({ domains: ['app.example.com'], kind: 'static', root: '/srv/app' });
 */
export function resolveCoreCall(
  manifest: Pick<Manifest, 'id' | 'permissions'>,
  core: CoreApi,
  path: readonly string[],
): (...args: unknown[]) => unknown {
  const what = `core.${path.join('.')}()`;
  if (path.length === 0 || path.some((s) => typeof s !== 'string' || FORBIDDEN_SEGMENTS.has(s))) {
    throw new HttpError(
      400,
      'WEBCASA_BAD_REQUEST',
      `plugin ${manifest.id}: "${what}" is not a core function`,
    );
  }
  const needed = corePermission(path);
  if (needed === undefined) {
    throw new HttpError(
      404,
      'WEBCASA_CORE_UNKNOWN',
      `plugin ${manifest.id}: ${what} is not a core function isolated plugins may call`,
    );
  }
  if (needed && !manifest.permissions.includes(needed)) {
    throw new PermissionDeniedError(manifest.id, needed, what);
  }
  let owner: unknown;
  let target: unknown = core;
  for (const segment of path) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
      target = undefined;
      break;
    }
    owner = target;
    target =
      segment in (target as object) && !(segment in Object.prototype) && !(segment in Function.prototype)
        ? (target as Record<string, unknown>)[segment]
        : undefined;
  }
  if (typeof target !== 'function') {
    throw new HttpError(
      404,
      'WEBCASA_CORE_UNKNOWN',
      `plugin ${manifest.id}: ${what} does not exist in this panel`,
    );
  }
  const fn = target as (...args: unknown[]) => unknown;
  // The audit entry is attributed by the panel, whatever the child sends.
  if (path.length === 1 && path[0] === 'audit') {
    return bindAudit((entry) => fn.call(owner, entry) as Promise<void>, manifest.id) as (
      ...args: unknown[]
    ) => unknown;
  }
  return (...args) => fn.apply(owner, args);
}
