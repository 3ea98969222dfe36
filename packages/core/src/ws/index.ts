export { registerEventSocket } from './events.js';
export { type WsHandler, WsHub, type WsHubOptions, type WsParams } from './hub.js';
