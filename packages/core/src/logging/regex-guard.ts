import { Worker } from 'node:worker_threads';
import { badRequest, HttpError, tooManyRequests } from '../errors.js';

/** Code of the error a regex search that ran out of time fails with (HTTP 422). */
export const LOG_SEARCH_TIMEOUT = 'WEBCASA_LOG_SEARCH_TIMEOUT';
/** Default time a search's regex may run, in total over all its lines. */
export const DEFAULT_REGEX_TIME_LIMIT_MS = 1000;
/** Longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 500;

export interface RegexMatcherOptions {
  /** Total time the regex may run for one search, in ms. Default 1000. */
  timeLimitMs?: number;
  /** Input field named in errors. Default `query.q`. */
  field?: string;
  /** Regex flags. Default `i` (searches are case-insensitive, like the substring search). */
  flags?: string;
}

/** Searches running a regex worker at once, over the whole process (each worker is a thread). */
let active = 0;
let maxActive = 4;

/** Change how many regex searches may run at once (default 4); further ones get 429. */
export function setMaxConcurrentRegexSearches(n: number): void {
  maxActive = Math.max(1, Math.floor(n));
}

/** Regex searches running now. */
export function activeRegexSearches(): number {
  return active;
}

/**
 * Check and compile a search pattern; a bad one is a 400 naming `field`.
 * Compiling is linear in the pattern's length; only matching can take exponential time.
 *
 * @example
 * compileSearchPattern('timeout|refused'); // /timeout|refused/i
 * compileSearchPattern('(');               // throws 400, field query.q
 */
export function compileSearchPattern(source: string, field = 'query.q', flags = 'i'): RegExp {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw badRequest(`${field}: a pattern is at most ${MAX_PATTERN_LENGTH} characters`, field);
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw badRequest(`${field}: not a valid regular expression (${(error as Error).message})`, field);
  }
}

/** The time-limit error: 422, naming the field. */
export function searchTimeout(limitMs: number, field = 'query.q'): HttpError {
  return new HttpError(
    422,
    LOG_SEARCH_TIMEOUT,
    `${field}: the regular expression took longer than ${limitMs} ms and was stopped; ` +
      'simplify it (nested quantifiers like (a+)+ backtrack exponentially) or narrow the search with level or since',
    field,
    { limitMs },
  );
}

// Plain JS run by `eval`, so it works from the TypeScript sources and from the built package.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const re = new RegExp(workerData.source, workerData.flags);
parentPort.on('message', (text) => {
  const began = performance.now();
  const lines = text.split('\\n');
  const hits = [];
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i);
  parentPort.postMessage({ hits, ms: performance.now() - began });
});
`;

export interface RegexMatcher {
  /** The lines (no `\n` inside) the pattern matches, in order. Rejects with 422 past the time limit. */
  filter(lines: readonly string[]): Promise<string[]>;
  /** Time the regex has run so far, in ms. */
  readonly spentMs: number;
  /** Stop the worker. Safe to call twice. */
  close(): void;
}

/**
 * A regex run in one worker thread per search with a hard time limit over the whole search:
 * the worker is terminated when its time is up, so a pathological pattern (`^(a+)+$` on
 * `aaaa…b`) cannot hang the server. The pattern is checked at once (400 naming the field);
 * the worker starts on the first `filter` call. At most 4 searches run a worker at once (429).
 *
 * @example
 * const matcher = createRegexMatcher('error|timeout', { timeLimitMs: 1000 });
 * try {
 *   const hits = await matcher.filter(['a timeout', 'fine']); // ['a timeout']
 * } finally {
 *   matcher.close();
 * }
 */
export function createRegexMatcher(source: string, options: RegexMatcherOptions = {}): RegexMatcher {
  const field = options.field ?? 'query.q';
  const flags = options.flags ?? 'i';
  const limit = options.timeLimitMs ?? DEFAULT_REGEX_TIME_LIMIT_MS;
  compileSearchPattern(source, field, flags);
  // Stateful flags would make `test` skip matches from one line to the next.
  if (/[gy]/.test(flags)) throw badRequest(`${field}: flags g and y are not supported`, field);

  let worker: Worker | undefined;
  let online = false;
  let spent = 0;
  let closed = false;
  let counted = false;

  function start(): Worker {
    if (active >= maxActive) {
      throw tooManyRequests(`too many regular-expression log searches are running (${maxActive}); retry`, 1);
    }
    active++;
    counted = true;
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { source, flags },
      // A pattern that allocates wildly dies alone, not with the server.
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    w.unref();
    w.once('online', () => {
      online = true;
    });
    return w;
  }

  function close(): void {
    if (closed) return;
    closed = true;
    if (counted) active--;
    void worker?.terminate();
    worker = undefined;
  }

  return {
    get spentMs() {
      return spent;
    },
    close,
    filter(lines) {
      if (closed) return Promise.reject(new Error('the regex matcher is closed'));
      if (lines.length === 0) return Promise.resolve([]);
      if (spent >= limit) {
        close();
        return Promise.reject(searchTimeout(limit, field));
      }
      let w: Worker;
      try {
        w = worker ??= start();
      } catch (error) {
        return Promise.reject(error);
      }
      return new Promise<string[]>((resolve, reject) => {
        let began: number | undefined;
        let timer: NodeJS.Timeout | undefined;
        // The clock starts when the thread runs: starting a worker is not the pattern's fault.
        // (A thread that never comes online starts it after 5 s, so the wait stays bounded.)
        const startClock = () => {
          if (began !== undefined) return;
          clearTimeout(timer);
          began = performance.now();
          timer = setTimeout(() => {
            done();
            close();
            reject(searchTimeout(limit, field));
          }, limit - spent);
        };
        const done = (workerMs?: number) => {
          clearTimeout(timer);
          w.off('online', startClock);
          w.off('message', onMessage);
          w.off('error', onError);
          w.off('exit', onExit);
          // The worker's own measure when it answered: a busy main thread picking the answer
          // up late is not the pattern's fault. Otherwise the wall time it was given.
          if (workerMs !== undefined) spent += workerMs;
          else if (began !== undefined) spent += performance.now() - began;
        };
        const onMessage = (reply: { hits: number[]; ms: number }) => {
          done(reply.ms);
          resolve(reply.hits.map((i) => lines[i]!));
        };
        const onError = (error: Error) => {
          done();
          close();
          reject(
            new HttpError(
              422,
              'WEBCASA_LOG_SEARCH_FAILED',
              `${field}: the search failed (${error.message})`,
              field,
            ),
          );
        };
        const onExit = () => onError(new Error('the search worker stopped'));
        if (online) startClock();
        else {
          w.once('online', startClock);
          timer = setTimeout(startClock, 5000);
        }
        w.on('message', onMessage);
        w.once('error', onError);
        w.once('exit', onExit);
        w.postMessage(lines.join('\n'));
      });
    },
  };
}
