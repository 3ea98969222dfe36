import { type Dirent, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type Manifest, ManifestError, parseManifest } from '@webcasa/plugin-sdk';

/** The `keywords` entry that marks an npm package as a Web.Casa plugin. */
export const PLUGIN_KEYWORD = 'webcasa-plugin';

/** Stable codes of the reasons a package could not be read as a plugin. */
export const DISCOVERY_CODES = {
  /** A listed package or directory does not exist (or has no package.json). */
  NOT_FOUND: 'WEBCASA_PLUGIN_NOT_FOUND',
  /** package.json is not valid JSON, lacks a version, or an export points outside the package. */
  PACKAGE_INVALID: 'WEBCASA_PLUGIN_PACKAGE_INVALID',
  /** No `./manifest` export, or it points to a missing or non-JSON file. */
  NO_MANIFEST: 'WEBCASA_PLUGIN_NO_MANIFEST',
  /** The manifest is not JSON, or fails the schema; the message names each bad field. */
  MANIFEST_INVALID: 'WEBCASA_MANIFEST_INVALID',
  /** The manifest's `version` differs from package.json's. */
  VERSION_MISMATCH: 'WEBCASA_MANIFEST_VERSION_MISMATCH',
  /** The `./server` (or `./web`) export points to a file that does not exist. */
  ENTRY_MISSING: 'WEBCASA_PLUGIN_ENTRY_MISSING',
} as const;

export type DiscoveryCode = (typeof DISCOVERY_CODES)[keyof typeof DISCOVERY_CODES];

export type PluginSourceKind = 'distribution' | 'dir' | 'installed';

export interface DiscoverOptions {
  /** Package names the distribution ships, resolved as Node would from `fromDir`. */
  packages?: readonly string[];
  /** Where `packages` (and relative `dirs`) are resolved from: the distribution's folder. */
  fromDir: string;
  /** Plugin package directories given directly (development, tests). */
  dirs?: readonly string[];
  /**
   * A folder holding a `node_modules/` of plugins installed at run time, e.g.
   * `<dataDir>/plugins`. Only packages whose `keywords` include
   * `webcasa-plugin` are taken; their own dependencies live there too.
   */
  installedDir?: string;
}

/** A plugin package whose manifest is valid. Nothing of its code has been loaded. */
export interface DiscoveredPlugin {
  id: string;
  packageName: string;
  packageVersion: string;
  /** Real path of the package directory (symlinks, as pnpm makes them, resolved). */
  packageDir: string;
  manifest: Manifest;
  /** Absolute path of the `./server` export; load it only when the plugin is set up. */
  serverEntry?: string;
  /** Absolute path of the `./web` export. */
  webEntry?: string;
  source: PluginSourceKind;
}

/** A package that could not be read as a plugin. */
export interface DiscoveryProblem {
  /** The package name, or the requested name / folder name when package.json cannot be read. */
  packageName: string;
  /** The package directory; for `WEBCASA_PLUGIN_NOT_FOUND` of a listed package, the folder it was looked up from. */
  packageDir: string;
  code: DiscoveryCode;
  message: string;
}

export interface Discovery {
  plugins: DiscoveredPlugin[];
  problems: DiscoveryProblem[];
}

/**
 * Find plugin packages and read their manifests, without importing any
 * plugin code: manifests are data, entries are only located here and loaded
 * lazily by the plugin manager. Reads the distribution's packages first, then
 * `dirs`, then the run-time installed ones, so a caller that keeps the first
 * plugin of each id prefers the shipped one. A broken package becomes a
 * problem with a stable code and never stops the others.
 *
 * @example
 * const { plugins, problems } = discoverPlugins({
 *   packages: ['@webcasa/plugin-docker', '@webcasa/plugin-files'],
 *   fromDir: distributionDir,
 *   installedDir: join(dataDir, 'plugins'),
 * });
 * for (const p of problems) log.error({ package: p.packageName, code: p.code }, p.message);
 * const { order } = resolvePlugins(plugins, { apiVersion: PLUGIN_API_VERSION });
 */
export function discoverPlugins(options: DiscoverOptions): Discovery {
  const fromDir = resolve(options.fromDir);
  const result: Discovery = { plugins: [], problems: [] };
  // The same package reached twice (listed and also under dirs, say) is read once.
  const seen = new Set<string>();
  const read = (dir: string, source: PluginSourceKind, listedName?: string) => {
    const outcome = readPluginPackage(dir, source, seen, listedName);
    if (outcome === undefined) return;
    if ('plugin' in outcome) result.plugins.push(outcome.plugin);
    else result.problems.push(...outcome.problems);
  };

  for (const name of options.packages ?? []) {
    const dir = locatePackage(name, fromDir);
    if (dir === undefined) {
      result.problems.push({
        packageName: name,
        packageDir: fromDir,
        code: DISCOVERY_CODES.NOT_FOUND,
        message: VALID_PACKAGE_NAME.test(name)
          ? `plugin package ${name} is listed by the distribution but cannot be found from ${fromDir}; is it installed?`
          : `plugin package "${name}" is listed by the distribution but is not a valid package name`,
      });
      continue;
    }
    read(dir, 'distribution', name);
  }
  for (const dir of options.dirs ?? []) read(resolve(fromDir, dir), 'dir');
  if (options.installedDir !== undefined) {
    for (const dir of installedPackageDirs(resolve(fromDir, options.installedDir))) read(dir, 'installed');
  }
  return result;
}

type ReadOutcome = { plugin: DiscoveredPlugin } | { problems: DiscoveryProblem[] } | undefined;

/** Read one package directory. `undefined` means "not a plugin, say nothing" (installed scan only). */
function readPluginPackage(
  dir: string,
  source: PluginSourceKind,
  seen: Set<string>,
  listedName?: string,
): ReadOutcome {
  const scanning = source === 'installed';
  let packageName = listedName ?? basename(dir);
  const problem = (code: DiscoveryCode, message: string, packageDir = dir): ReadOutcome => ({
    problems: [{ packageName, packageDir, code, message }],
  });

  let packageDir: string;
  try {
    packageDir = realpathSync(dir);
  } catch {
    return scanning
      ? undefined
      : problem(DISCOVERY_CODES.NOT_FOUND, `plugin directory ${dir} does not exist`);
  }
  if (seen.has(packageDir)) return undefined;
  seen.add(packageDir);

  const pkgFile = join(packageDir, 'package.json');
  const pkgText = readText(pkgFile);
  if (pkgText === undefined) {
    return scanning
      ? undefined
      : problem(
          DISCOVERY_CODES.NOT_FOUND,
          `${packageDir} is not a package: it has no package.json`,
          packageDir,
        );
  }
  const pkg = parseJson(pkgText);
  if (!pkg.ok || !isRecord(pkg.value)) {
    // In the installed folder an unreadable package.json may belong to any dependency: not ours to judge.
    if (scanning) return undefined;
    return problem(
      DISCOVERY_CODES.PACKAGE_INVALID,
      pkg.ok
        ? `package.json of ${packageName} (${pkgFile}) is not a JSON object`
        : `package.json of ${packageName} (${pkgFile}) is not valid JSON: ${pkg.error}`,
      packageDir,
    );
  }
  const meta = pkg.value;
  if (typeof meta.name === 'string') packageName = meta.name;
  if (scanning && !(Array.isArray(meta.keywords) && meta.keywords.includes(PLUGIN_KEYWORD))) return undefined;

  const fail = (code: DiscoveryCode, message: string) => problem(code, message, packageDir);
  if (typeof meta.version !== 'string') {
    return fail(
      DISCOVERY_CODES.PACKAGE_INVALID,
      `package ${packageName} has no "version" in its package.json`,
    );
  }
  const packageVersion = meta.version;

  const manifestTarget = exportTarget(meta.exports, './manifest');
  if (manifestTarget === undefined) {
    return fail(
      DISCOVERY_CODES.NO_MANIFEST,
      `package ${packageName} has no "./manifest" export; a Web.Casa plugin's package.json needs ` +
        `"exports": { "./manifest": "./manifest.json", "./server": "./dist/server.js" }`,
    );
  }
  const manifestFile = insidePackage(packageDir, manifestTarget);
  if (manifestFile === undefined) {
    return fail(
      DISCOVERY_CODES.PACKAGE_INVALID,
      `package ${packageName}: the "./manifest" export (${manifestTarget}) must be a "./" path inside the package`,
    );
  }
  if (!manifestFile.endsWith('.json')) {
    // Reading a .js manifest would mean running the plugin's code before we decided to load it.
    return fail(
      DISCOVERY_CODES.NO_MANIFEST,
      `package ${packageName}: the "./manifest" export points to ${manifestTarget}, but it must be a JSON ` +
        `file the panel can read without running plugin code`,
    );
  }
  const manifestText = readText(manifestFile);
  if (manifestText === undefined) {
    return fail(
      DISCOVERY_CODES.NO_MANIFEST,
      `package ${packageName}: the "./manifest" export points to ${manifestTarget}, which does not exist${builtHint(manifestTarget)}`,
    );
  }
  const manifestJson = parseJson(manifestText);
  if (!manifestJson.ok) {
    return fail(
      DISCOVERY_CODES.MANIFEST_INVALID,
      `package ${packageName}: ${manifestTarget} is not valid JSON: ${manifestJson.error}`,
    );
  }
  let manifest: Manifest;
  try {
    manifest = parseManifest(manifestJson.value, `${packageName} (${manifestTarget})`);
  } catch (error) {
    const message = error instanceof ManifestError ? error.message : String(error);
    return fail(DISCOVERY_CODES.MANIFEST_INVALID, message);
  }

  // From here on, report every problem of the package at once.
  const problems: DiscoveryProblem[] = [];
  const add = (code: DiscoveryCode, message: string) =>
    problems.push({ packageName, packageDir, code, message });
  if (manifest.version !== packageVersion) {
    add(
      DISCOVERY_CODES.VERSION_MISMATCH,
      `plugin ${manifest.id}: package ${packageName} is version ${packageVersion} but its manifest says ` +
        `${manifest.version}; they must be equal (rebuild the manifest)`,
    );
  }
  const entry = (subpath: './server' | './web'): string | undefined => {
    const target = exportTarget(meta.exports, subpath);
    if (target === undefined) return undefined;
    const file = insidePackage(packageDir, target);
    if (file === undefined) {
      add(
        DISCOVERY_CODES.PACKAGE_INVALID,
        `plugin ${manifest.id} (${packageName}): the "${subpath}" export (${target}) must be a "./" path inside the package`,
      );
      return undefined;
    }
    if (!isFile(file)) {
      add(
        DISCOVERY_CODES.ENTRY_MISSING,
        `plugin ${manifest.id} (${packageName}): the "${subpath}" export points to ${target}, which does not exist${builtHint(target)}`,
      );
      return undefined;
    }
    return file;
  };
  const serverEntry = entry('./server');
  const webEntry = entry('./web');
  if (problems.length > 0) return { problems };

  return {
    plugin: {
      id: manifest.id,
      packageName,
      packageVersion,
      packageDir,
      manifest,
      ...(serverEntry === undefined ? {} : { serverEntry }),
      ...(webEntry === undefined ? {} : { webEntry }),
      source,
    },
  };
}

/**
 * The file an `exports` subpath points to, choosing `import`, then `default`
 * among conditions (`types` is for the compiler, `require` is not how the host
 * loads plugins). Subpath patterns (`./*`) are not followed: the contract asks
 * for explicit `./manifest`, `./server` and `./web` entries.
 */
function exportTarget(exports: unknown, subpath: string): string | undefined {
  if (!isRecord(exports)) return undefined;
  const keys = Object.keys(exports);
  // An object whose keys are conditions (no leading ".") describes only ".".
  if (keys.length === 0 || !keys.every((k) => k.startsWith('.'))) return undefined;
  return pickTarget(exports[subpath]);
}

function pickTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const target = pickTarget(item);
      if (target !== undefined) return target;
    }
    return undefined;
  }
  if (isRecord(value)) return pickTarget(value.import) ?? pickTarget(value.default);
  return undefined;
}

/** An export target resolved in the package, or undefined when it tries to leave it (`../`, absolute). */
function insidePackage(packageDir: string, target: string): string | undefined {
  if (!target.startsWith('./')) return undefined;
  const file = resolve(packageDir, target);
  const rel = relative(packageDir, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return file;
}

function builtHint(target: string): string {
  return /^\.\/(dist|build|lib)\//.test(target) ? ' (was the package built?)' : '';
}

/**
 * Where a listed package lives, as Node would find it from `fromDir`. Tries
 * `<name>/package.json` first; packages whose `exports` do not expose it fall
 * back to the node_modules folders Node would search, then to walking up from
 * the resolved `./manifest` export.
 */
function locatePackage(name: string, fromDir: string): string | undefined {
  if (!VALID_PACKAGE_NAME.test(name)) return undefined;
  const require = createRequire(join(fromDir, 'package.json'));
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    // ERR_PACKAGE_PATH_NOT_EXPORTED or not installed: try the other ways.
  }
  for (const base of require.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (isFile(join(dir, 'package.json'))) return dir;
  }
  try {
    let dir = dirname(require.resolve(`${name}/manifest`));
    for (;;) {
      const text = readText(join(dir, 'package.json'));
      if (text !== undefined) {
        const pkg = parseJson(text);
        if (pkg.ok && isRecord(pkg.value) && pkg.value.name === name) return dir;
      }
      const up = dirname(dir);
      if (up === dir) return undefined;
      dir = up;
    }
  } catch {
    return undefined;
  }
}

/** Package directories directly under `<installedDir>/node_modules`, including `@scope/*`, sorted. */
function installedPackageDirs(installedDir: string): string[] {
  const modules = join(installedDir, 'node_modules');
  const dirs: string[] = [];
  for (const name of listDirs(modules)) {
    // .bin, .pnpm, .package-lock.json and friends are the package manager's, not packages.
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const scoped of listDirs(join(modules, name))) {
        if (!scoped.startsWith('.')) dirs.push(join(modules, name, scoped));
      }
    } else {
      dirs.push(join(modules, name));
    }
  }
  return dirs;
}

/** Names of the directories (or symlinks to them) in `dir`, sorted; none when `dir` does not exist. */
function listDirs(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDirectory(join(dir, e.name))))
    .map((e) => e.name)
    .sort();
}

// npm's rules, loosely: an optional @scope/, then a name without path separators or leading dots.
const VALID_PACKAGE_NAME = /^(@[a-z0-9~-][a-z0-9._~-]*\/)?[a-z0-9~-][a-z0-9._~-]*$/i;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    // A BOM is common in files written by Windows editors and is not a JSON error.
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
