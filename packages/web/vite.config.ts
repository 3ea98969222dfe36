// `pnpm dev`: the shell on Vite's dev server, proxying the API to a panel
// started separately (WEBCASA_URL, default http://127.0.0.1:39921). Production
// builds go through build/index.js (vendor modules, import map, bundled plugins).
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const target = process.env.WEBCASA_URL ?? 'http://127.0.0.1:39921';

export default defineConfig(async () => {
  const { shellDevPlugin } = await import('./build/dev.js');
  return {
    plugins: [solid(), shellDevPlugin()],
    server: {
      host: '127.0.0.1',
      proxy: { '/api': target, '/ws': { target: target.replace(/^http/, 'ws'), ws: true } },
    },
  };
});
