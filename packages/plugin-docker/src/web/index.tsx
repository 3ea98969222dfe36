import { defineWebPlugin } from '@webcasa/plugin-sdk';

export default defineWebPlugin({
  routes: [
    { path: '/', component: () => import('./pages/Stacks.js') },
    // xterm is only loaded with the containers page (a lazy chunk).
    { path: '/containers', component: () => import('./pages/Containers.js') },
    { path: '/images', component: () => import('./pages/Images.js') },
    { path: '/networks', component: () => import('./pages/Networks.js') },
    { path: '/volumes', component: () => import('./pages/Volumes.js') },
  ],
});
