import { createEffect, createSignal, type JSX, onCleanup, Show } from 'solid-js';
import type { Api } from '../api/client.js';
import type { Run, RunLogLine, RunMessage } from '../api/types.js';
import { format, type I18n, uiMessages } from '../i18n.js';
import { LogViewer } from './LogViewer.js';

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'interrupted']);

export interface RunFollower {
  run: () => Run | null;
  lines: () => RunLogLine[];
  progress: () => number;
  message: () => string | null;
  /** Whether the stream is connected. */
  live: () => boolean;
  close(): void;
}

/**
 * Follow one run over `/ws/runs/:id`: the stored log, then live lines,
 * progress and the final status. Reconnects (up to `retries` times) when the
 * connection drops before the run ended; lines are de-duplicated by `seq`.
 *
 * @example
 * const f = followRun(api, runId);
 * createEffect(() => console.log(f.progress(), f.run()?.status));
 */
export function followRun(
  api: Pick<Api, 'runs'>,
  id: string,
  options: { retries?: number; WebSocket?: typeof WebSocket } = {},
): RunFollower {
  const [run, setRun] = createSignal<Run | null>(null);
  const [lines, setLines] = createSignal<RunLogLine[]>([]);
  const [progress, setProgress] = createSignal(0);
  const [message, setMessage] = createSignal<string | null>(null);
  const [live, setLive] = createSignal(false);
  const Ws = options.WebSocket ?? globalThis.WebSocket;
  let lastSeq = 0;
  let socket: WebSocket | undefined;
  let closed = false;
  let attempts = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    socket = new Ws(api.runs.socketUrl(id));
    socket.onopen = () => {
      attempts = 0;
      setLive(true);
    };
    socket.onmessage = (event) => {
      let msg: RunMessage;
      try {
        msg = JSON.parse(String(event.data)) as RunMessage;
      } catch {
        return;
      }
      if (msg.type === 'log') {
        if (msg.seq <= lastSeq) return;
        lastSeq = msg.seq;
        const { type: _, ...line } = msg;
        setLines((list) => [...list, line]);
      } else if (msg.type === 'status') {
        setRun(msg.run);
        setProgress(msg.run.progress);
        setMessage(msg.run.message);
      } else if (msg.type === 'progress') {
        setProgress(msg.progress);
        setMessage(msg.message);
      }
    };
    socket.onclose = () => {
      setLive(false);
      const ended = ENDED.has(run()?.status ?? '');
      if (closed || ended) return;
      if (attempts < (options.retries ?? 5)) {
        attempts++;
        timer = setTimeout(connect, Math.min(8000, 500 * 2 ** attempts));
      }
    };
  };
  connect();

  return {
    run,
    lines,
    progress,
    message,
    live,
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}

export interface RunProgressProps {
  api: Api;
  runId: string;
  /** Show the cancel button (the caller knows the user may cancel: operator and above). */
  cancellable?: boolean;
  /** Show the live log (default true). */
  log?: boolean;
  onEnd?: (run: Run) => void;
  i18n?: Pick<I18n, 't'>;
}

/**
 * A run's progress bar, status and live log, for any long job a plugin started
 * (`ctx.runs.start` on the server). Give it the run id the plugin's route answered.
 *
 * @example
 * const { runId } = await api.plugin('backup').post<{ runId: string }>('/backups');
 * <RunProgress api={api} runId={runId} cancellable />
 */
export function RunProgress(props: RunProgressProps): JSX.Element {
  const t = (key: string, params?: Record<string, unknown>) =>
    props.i18n ? props.i18n.t(key, params) : format(uiMessages.en[key] ?? key, params);
  // Read once: a RunProgress follows one run; give it a new key to follow another.
  const follower = followRun(props.api, props.runId);
  let reported = false;
  createEffect(() => {
    const r = follower.run();
    if (r && ENDED.has(r.status) && !reported) {
      reported = true;
      props.onEnd?.(r);
    }
  });
  onCleanup(() => follower.close());
  const pct = () => Math.round(follower.progress() * 100);
  const status = () => follower.run()?.status ?? 'running';
  return (
    <div class="wc-run" data-status={status()}>
      <div class="wc-run-head">
        <strong>{follower.run()?.title ?? props.runId}</strong>
        <span class={`wc-badge wc-badge-${status()}`}>{t(`ui.run.${status()}`)}</span>
      </div>
      <div
        class="wc-progress"
        role="progressbar"
        aria-label={follower.run()?.title ?? props.runId}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct()}
        aria-valuetext={`${pct()}%${follower.message() ? ` ${follower.message()}` : ''}`}
      >
        <div class="wc-progress-bar" style={{ width: `${pct()}%` }} />
      </div>
      <div class="wc-run-meta">
        <span>{pct()}%</span>
        <Show when={follower.message()}>
          <span class="wc-muted">{follower.message()}</span>
        </Show>
        <Show when={follower.run()?.error}>
          <span class="wc-error">{follower.run()?.error}</span>
        </Show>
        <Show when={props.cancellable && !ENDED.has(status())}>
          <button
            type="button"
            class="wc-btn wc-btn-small"
            // A run that ended meanwhile answers 409; its final status arrives on the stream anyway.
            onClick={() => void props.api.runs.cancel(props.runId).catch(() => undefined)}
          >
            {t('ui.cancelRun')}
          </button>
        </Show>
      </div>
      <Show when={props.log !== false}>
        <LogViewer
          label={follower.run()?.title ?? props.runId}
          lines={follower.lines()}
          downloadUrl={props.api.runs.logUrl(props.runId)}
          i18n={props.i18n}
        />
      </Show>
    </div>
  );
}
