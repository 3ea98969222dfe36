export { type Message, type MessageQuery, MessageService, PRIORITIES, type Priority } from './messages.js';
export { registerMessageRoutes } from './routes.js';
