import { defineWebPlugin } from '@webcasa/plugin-sdk';

export default defineWebPlugin({
  routes: [
    { path: '/', component: () => import('./pages/Browser.js') },
    // CodeMirror and xterm are only loaded with these pages (lazy chunks).
    { path: '/edit', component: () => import('./pages/Edit.js') },
    { path: '/terminal', component: () => import('./pages/Terminal.js') },
    { path: '/roots', component: () => import('./pages/Roots.js') },
  ],
});
