import { defineWebPlugin } from '@webcasa/plugin-sdk';

export default defineWebPlugin({
  routes: [{ path: '/', component: () => import('./Page.js') }],
});
