import { copyFileSync } from 'node:fs';
import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

// The publishable build: one ES module with Solid's JSX compiled and solid-js
// left external (a peer: the shell provides the one copy), plus the stylesheet.
export default defineConfig({
  plugins: [
    solid(),
    {
      name: 'copy-styles',
      closeBundle: () => copyFileSync('src/styles.css', 'dist/styles.css'),
    },
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'index.js' },
    rollupOptions: { external: [/^solid-js($|\/)/] },
  },
});
