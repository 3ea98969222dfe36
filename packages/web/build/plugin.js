// Vite configuration for a plugin's run-time web module: an ES module whose
// shared imports (solid-js, @webcasa/ui, …) stay bare, for the shell's import map.
import solid from 'vite-plugin-solid';
import { isSharedModule } from './shared.js';

/**
 * A Vite config that builds a plugin's web entry as a prebuilt ES module the
 * panel serves under `/api/plugins/<id>/assets/` and the shell loads with `import()`.
 *
 * @example
 * // vite.config.ts of a plugin
 * import { webPluginConfig } from '@webcasa/web/build';
 * export default webPluginConfig({ entry: 'src/web/index.tsx', outDir: 'dist/web' });
 */
export function webPluginConfig(options) {
  return {
    configFile: false,
    root: options.root,
    logLevel: options.logLevel ?? 'warn',
    plugins: [solid()],
    build: {
      outDir: options.outDir ?? 'dist/web',
      emptyOutDir: true,
      target: 'es2022',
      minify: options.minify ?? true,
      sourcemap: options.sourcemap ?? false,
      lib: { entry: options.entry, formats: ['es'], fileName: () => options.fileName ?? 'index.js' },
      rollupOptions: {
        external: (id) => isSharedModule(id),
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  };
}
