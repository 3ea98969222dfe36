// The virtual modules of the shell for Vite's dev server: no bundled plugins
// (run-time plugins still load through `webModule`), every icon lazily.
import { SHELL_ICONS } from './icons.js';
import { shellPlugin } from './index.js';

export function shellDevPlugin() {
  return shellPlugin({ plugins: [], icons: SHELL_ICONS, importMap: undefined, preload: [] });
}
