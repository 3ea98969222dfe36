export {
  RUN_NOT_FOUND_CLOSE_CODE,
  type RunRoutesDeps,
  registerRunRoutes,
  registerRunSocket,
} from './routes.js';
export {
  createRunManager,
  DEFAULT_RUN_LIMITS,
  INTERRUPTED_ERROR,
  isEnded,
  type ListRunsOptions,
  newRunId,
  type RunLimits,
  type RunListener,
  type RunLogLevel,
  type RunLogLine,
  RunManager,
  type RunManagerOptions,
  type RunMessage,
} from './run-manager.js';
