import { defineWebPlugin } from '@webcasa/plugin-sdk';

export default defineWebPlugin({
  routes: [
    { path: '/', component: () => import('./pages/Store.js') },
    { path: '/app/:store/:app', component: () => import('./pages/AppPage.js') },
    { path: '/installed', component: () => import('./pages/Installed.js') },
    { path: '/sources', component: () => import('./pages/Sources.js') },
  ],
});
