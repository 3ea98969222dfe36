export interface BuildShellOptions {
  /** Where to write the shell (emptied first). Default: packages/web/dist. */
  outDir?: string;
  /** Plugin package names whose `./web` entries are bundled as lazy chunks. */
  plugins?: string[];
  /** Plugin package directories whose `./web` entries are bundled. */
  pluginDirs?: string[];
  /** Directory `plugins` (and relative `pluginDirs`) resolve from. Default: cwd. */
  resolveFrom?: string;
  minify?: boolean;
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

export interface ShellBuild {
  outDir: string;
  shell: string;
  /** Bare specifier → vendor file URL, as written into index.html's import map. */
  importMap: Record<string, string>;
  bundledPlugins: { id: string; package: string }[];
  /** What the first page loads, and its gzipped size. */
  initial: { js: string[]; css: string[]; jsGzipBytes: number; cssGzipBytes: number };
}

/** Build the shell: vendor modules, the app with an import map, bundled plugins as lazy chunks. */
export declare function buildShell(options?: BuildShellOptions): Promise<ShellBuild>;

/** Read a plugin package as the shell build needs it. */
export declare function readPluginWeb(packageDir: string): {
  id: string;
  packageName: string;
  version: string;
  webEntry: string | undefined;
  icons: string[];
};

export { type WebPluginBuildOptions, webPluginConfig } from './plugin.js';
export { isSharedModule, SHARED_MODULES, vendorName } from './shared.js';
