export { ActionService, type ActionsDeps, runDir, safeFileName, type UploadedFile } from './actions.js';
export { registerActionRoutes } from './routes.js';
