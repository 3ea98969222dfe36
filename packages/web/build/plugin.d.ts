export interface WebPluginBuildOptions {
  /** The web entry, e.g. `src/web/index.tsx` (its default export is `defineWebPlugin(...)`). */
  entry: string;
  /** Default `dist/web`: point the package's `"./web"` export at `<outDir>/<fileName>`. */
  outDir?: string;
  /** Default `index.js`. */
  fileName?: string;
  root?: string;
  minify?: boolean;
  sourcemap?: boolean;
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

/** A Vite config building a plugin's run-time web module with the shell's shared modules external. */
export declare function webPluginConfig(options: WebPluginBuildOptions): import('vite').InlineConfig;
