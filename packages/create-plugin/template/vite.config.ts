// Builds src/web into dist/web/index.js: a prebuilt ES module the panel loads at run time.
// solid-js, @webcasa/ui, @webcasa/plugin-sdk and the other shared modules stay bare imports
// (the shell's import map provides its single copy of each).
import { webPluginConfig } from '@webcasa/web/build';

export default webPluginConfig({ entry: 'src/web/index.tsx', outDir: 'dist/web' });
