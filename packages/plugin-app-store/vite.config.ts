// Builds the web entry as a prebuilt ES module (dist/web/index.js) for panels that install the
// package at run time; a distribution bundles src/web/index.tsx itself.
import { webPluginConfig } from '@webcasa/web/build';

export default webPluginConfig({ entry: 'src/web/index.tsx', outDir: 'dist/web' });
