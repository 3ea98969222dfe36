import {
  ApiError,
  type LogEntry,
  type LogLevel,
  type LogLine,
  type LogQuery,
  LogViewer,
  useApi,
  useI18n,
} from '@webcasa/ui';
import { createResource, createSignal, For, onCleanup, Show } from 'solid-js';
import { Checkbox, formatBytes, SelectInput, TextInput } from '../kit.js';
import type { TabProps } from './PluginDetail.js';

const LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LINES = ['100', '200', '500', '1000', '5000'];
/** Fields every line has; the rest is shown after the message. */
const HIDDEN = new Set(['time', 'level', 'msg', 'plugin', 'pid', 'hostname', 'v']);
const MAX_LIVE = 2000;

/** A log entry as a viewer line: the message, then its other fields as `key=value`. */
export function toLogLine(entry: LogEntry, seq?: number): LogLine {
  const extra = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const level =
    entry.level === 'fatal'
      ? 'error'
      : entry.level === 'warn' || entry.level === 'error'
        ? entry.level
        : 'info';
  return {
    seq,
    time: entry.time ?? undefined,
    level,
    line: `${entry.level ? `[${entry.level}] ` : ''}${entry.msg}${extra ? `  ${extra}` : ''}`,
  };
}

/** Search the plugin's log (level, since, text or regex), follow it live, download its files. */
export default function LogsTab(props: TabProps) {
  const api = useApi();
  const { t } = useI18n();
  const id = () => props.plugin.id;
  const [level, setLevel] = createSignal<LogLevel | ''>('');
  const [since, setSince] = createSignal('');
  const [q, setQ] = createSignal('');
  const [regex, setRegex] = createSignal(false);
  const [count, setCount] = createSignal('200');
  const [query, setQuery] = createSignal<LogQuery>({ lines: 200 });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [live, setLive] = createSignal(false);
  const [liveLines, setLiveLines] = createSignal<LogLine[]>([]);
  const [liveState, setLiveState] = createSignal<'connecting' | 'open' | 'closed'>('closed');

  const [result, { refetch }] = createResource(
    () => ({ id: id(), q: query() }),
    async ({ id, q }) => {
      try {
        const answer = await api.logs.query(id, q);
        setErrors({});
        return answer;
      } catch (error) {
        if (error instanceof ApiError && (error.status === 400 || error.status === 422)) {
          setErrors(error.fieldErrors());
          return { lines: [], truncated: false };
        }
        throw error;
      }
    },
  );
  const [files, { refetch: refetchFiles }] = createResource(id, (pid) => api.logs.files(pid));

  const apply = (e?: SubmitEvent) => {
    e?.preventDefault();
    setQuery({
      lines: Number(count()),
      level: level() || undefined,
      since: since() ? new Date(since()).getTime() : undefined,
      q: q().trim() || undefined,
      regex: regex() || undefined,
    });
    if (live()) connect();
    void refetchFiles();
  };

  // Live tail over /ws/admin/plugins/:id/logs: the last 100 matching lines, then each new one.
  let socket: WebSocket | undefined;
  let seq = 0;
  let retries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const disconnect = () => {
    clearTimeout(timer);
    const s = socket;
    socket = undefined;
    s?.close();
    setLiveState('closed');
  };
  const connect = () => {
    disconnect();
    setLiveLines([]);
    setLiveState('connecting');
    const s = new WebSocket(
      api.logs.socketUrl(id(), { level: level() || undefined, q: q().trim() || undefined }),
    );
    socket = s;
    s.onopen = () => {
      retries = 0;
      setLiveState('open');
    };
    s.onmessage = (m) => {
      try {
        const entry = JSON.parse(String(m.data)) as LogEntry;
        setLiveLines((list) => [...list, toLogLine(entry, ++seq)].slice(-MAX_LIVE));
      } catch {
        // not a log line
      }
    };
    s.onclose = (event) => {
      if (socket !== s) return;
      setLiveState('closed');
      // A refusal (4xxx) is final; a dropped connection is retried a few times.
      if (live() && event.code < 4000 && retries < 5) {
        retries++;
        timer = setTimeout(connect, 500 * 2 ** retries);
      }
    };
  };
  onCleanup(disconnect);

  const toggleLive = (on: boolean) => {
    setLive(on);
    if (on) connect();
    else {
      disconnect();
      void refetch();
    }
  };

  const shown = (): LogLine[] =>
    live() ? liveLines() : (result.latest?.lines ?? []).map((entry, i) => toLogLine(entry, i + 1));

  return (
    <div class="logs-tab">
      <form class="filters" onSubmit={apply} aria-label={t('logs.filters')} noValidate>
        <SelectInput
          label={t('logs.level')}
          field="level"
          value={level()}
          options={[
            { value: '', label: t('logs.anyLevel') },
            ...LEVELS.map((l) => ({ value: l, label: t(`logs.level.${l}`) })),
          ]}
          onChange={(v) => setLevel(v as LogLevel | '')}
          error={errors().level}
        />
        <TextInput
          label={t('logs.since')}
          field="since"
          type="datetime-local"
          value={since()}
          onInput={setSince}
          error={errors().since}
        />
        <TextInput
          label={t('logs.text')}
          field="q"
          value={q()}
          onInput={setQ}
          placeholder={regex() ? 'timeout|refused' : 'timeout'}
          error={errors().q}
        />
        <SelectInput
          label={t('logs.lines')}
          field="lines"
          value={count()}
          options={LINES.map((n) => ({ value: n, label: n }))}
          onChange={setCount}
          error={errors().lines}
        />
        <Checkbox label={t('logs.regex')} checked={regex()} onChange={setRegex} hint={t('logs.regexHint')} />
        <div class="filters-actions">
          <button type="submit" class="wc-btn wc-btn-primary">
            {t('logs.search')}
          </button>
        </div>
      </form>
      <div class="logs-bar">
        <Checkbox
          label={t('logs.live')}
          checked={live()}
          onChange={toggleLive}
          hint={regex() ? t('logs.liveNoRegex') : undefined}
          field="live"
        />
        <span class="wc-muted small" aria-live="polite" data-testid="live-state">
          {live() ? t(`logs.live.${liveState()}`) : ''}
        </span>
        <Show when={!live() && result.latest?.truncated}>
          <span class="wc-muted small">{t('logs.truncated')}</span>
        </Show>
      </div>
      <Show when={!result.error} fallback={<p class="wc-error">{(result.error as Error).message}</p>}>
        <LogViewer
          label={t('logs.viewer', { name: props.plugin.name })}
          lines={shown()}
          i18n={useI18n()}
          class="plugin-log"
        />
      </Show>
      <section class="section" aria-labelledby="log-files">
        <h2 id="log-files">{t('logs.files')}</h2>
        <Show when={files.latest} fallback={<p class="wc-muted">{t('ui.loading')}</p>}>
          {(list) => (
            <Show when={list().length > 0} fallback={<p class="wc-muted">{t('logs.noFiles')}</p>}>
              <ul class="artifact-list" data-testid="log-files">
                <For each={list()}>
                  {(f) => (
                    <li>
                      <a href={api.logs.downloadUrl(id(), f.name)} download={f.name}>
                        {f.name}
                      </a>{' '}
                      <span class="wc-muted small">
                        {formatBytes(f.bytes)} · {useI18n().formatTime(f.modifiedAt)}
                      </span>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </section>
    </div>
  );
}
