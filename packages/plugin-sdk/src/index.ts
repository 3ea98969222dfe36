export * from './manifest.js';
export * from './server.js';
export * from './web.js';
export type * from './context.js';
