/** The logging the sites feature needs; pino's `Logger` fits (object first, message second). */
export interface SitesLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: SitesLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
