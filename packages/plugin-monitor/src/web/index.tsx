import { defineWebPlugin } from '@webcasa/plugin-sdk';

export default defineWebPlugin({
  routes: [
    { path: '/', component: () => import('./pages/Overview.js') },
    // The history page pulls in uPlot; it is only loaded when the page is opened.
    { path: '/history', component: () => import('./pages/History.js') },
    { path: '/rules', component: () => import('./pages/Rules.js') },
  ],
  slots: {
    dashboardCards: [{ id: 'system', title: 'System', component: () => import('./cards/Summary.js') }],
  },
});
