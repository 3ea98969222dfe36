export { adaptLogger, createLoggers, type Loggers, type LoggingOptions } from './logger.js';
export {
  type BackwardOptions,
  LOG_LEVELS,
  type LogEntry,
  type LogFile,
  type LogLevelName,
  type LogQuery,
  type LogReadResult,
  levelRank,
  logFiles,
  MAX_LINE_BYTES,
  MAX_LOG_LINES,
  parseLogLine,
  parseSince,
  readLinesBackward,
  readLog,
  substringPattern,
} from './reader.js';
export {
  activeRegexSearches,
  compileSearchPattern,
  createRegexMatcher,
  DEFAULT_REGEX_TIME_LIMIT_MS,
  LOG_SEARCH_TIMEOUT,
  MAX_PATTERN_LENGTH,
  type RegexMatcher,
  type RegexMatcherOptions,
  searchTimeout,
  setMaxConcurrentRegexSearches,
} from './regex-guard.js';
export {
  DEFAULT_LOG_KEEP,
  DEFAULT_LOG_MAX_BYTES,
  type RotationChecker,
  type RotationCheckerOptions,
  type RotationOptions,
  rotate,
  rotateIfNeeded,
  rotationOptions,
  startRotationChecker,
} from './rotation.js';
export {
  CORE_LOG_ID,
  LOG_SOCKET_CLOSE,
  LOGS_PERMISSION,
  type LogRoutesDeps,
  type LogSocketDeps,
  registerLogRoutes,
  registerLogSocket,
} from './routes.js';
export {
  createLogTail,
  type LineListener,
  type LogTail,
  type LogTailOptions,
  type TailSubscription,
} from './tail.js';
