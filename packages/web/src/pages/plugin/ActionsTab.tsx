import { A } from '@solidjs/router';
import {
  type ActionInfo,
  ApiError,
  type ConfigSchema,
  EmptyState,
  ErrorState,
  Loading,
  type Run,
  RunProgress,
  SchemaForm,
  useApi,
  useConfirm,
  useI18n,
  useMode,
} from '@webcasa/ui';
import { createMemo, createResource, createSignal, createUniqueId, For, Show } from 'solid-js';
import { useRole } from '../kit.js';
import { RunArtifacts } from '../RunArtifacts.js';
import type { TabProps } from './PluginDetail.js';

/** A property the user answers with a file (`format: "binary"`, or a `contentMediaType`). */
function isFileProp(prop: Record<string, unknown>): boolean {
  return prop.format === 'binary' || prop.format === 'file' || typeof prop.contentMediaType === 'string';
}

/** The plugin's actions, each with a form from its input schema; a run shows its progress and log. */
export default function ActionsTab(props: TabProps) {
  const api = useApi();
  const { t } = useI18n();
  const [actions, { refetch }] = createResource(
    () => props.plugin.id,
    async (id) => (await api.actions.list()).filter((a) => a.plugin === id),
  );
  return (
    <div class="actions-tab">
      <Show
        when={!actions.error}
        fallback={<ErrorState title={t('common.loadFailed')} error={actions.error} onRetry={refetch} />}
      >
        <Show when={actions.latest} fallback={<Loading label={t('ui.loading')} />}>
          {(list) => (
            <Show
              when={list().length > 0}
              fallback={
                <EmptyState
                  title={t('actions.none')}
                  body={props.plugin.status === 'running' ? t('actions.noneBody') : t('actions.notRunning')}
                />
              }
            >
              <For each={list()}>{(action) => <ActionCard action={action} />}</For>
            </Show>
          )}
        </Show>
      </Show>
    </div>
  );
}

function ActionCard(props: { action: ActionInfo }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const mode = useMode();
  const confirm = useConfirm();
  const role = useRole();
  const fileId = createUniqueId();
  const [runId, setRunId] = createSignal<string | null>(null);
  const [ended, setEnded] = createSignal<Run | null>(null);
  const [files, setFiles] = createSignal<Record<string, File[]>>({});
  const a = () => props.action;
  const headingId = createUniqueId();

  const schemaParts = createMemo(() => {
    const input = a().input ?? { type: 'object', properties: {} };
    const fileKeys: string[] = [];
    const properties: ConfigSchema['properties'] = {};
    for (const [key, prop] of Object.entries(input.properties ?? {})) {
      if (isFileProp(prop as Record<string, unknown>)) fileKeys.push(key);
      else properties[key] = prop;
    }
    const schema: ConfigSchema = {
      type: 'object',
      properties,
      required: (input.required ?? []).filter((k) => !fileKeys.includes(k)),
    };
    return { schema, fileKeys };
  });
  const defaults = createMemo(() => {
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schemaParts().schema.properties))
      if (prop.default !== undefined) out[key] = prop.default;
    return out;
  });

  const run = async (patch: Record<string, unknown>) => {
    if (a().mutating) {
      const ok = await confirm({
        title: t('actions.confirm', { title: a().title }),
        body: a().description || undefined,
        confirmLabel: t('actions.run'),
      });
      if (!ok) return undefined;
    }
    const input: Record<string, unknown> = { ...defaults() };
    for (const [key, value] of Object.entries(patch)) {
      if (value === null || value === undefined) delete input[key];
      else input[key] = value;
    }
    const attached = Object.entries(files()).flatMap(([field, list]) =>
      list.map((file) => ({ field, file })),
    );
    // A file property is answered by the file; its value in the input is the file's name.
    for (const key of schemaParts().fileKeys) {
      const first = files()[key]?.[0];
      if (first) input[key] = first.name;
    }
    try {
      const started = await api.runs.start({ plugin: a().plugin, action: a().name, input }, attached);
      setEnded(null);
      setRunId(started.id);
      return undefined;
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        const out: Record<string, string> = {};
        for (const [key, message] of Object.entries(error.fieldErrors()))
          out[key.replace(/^input\.?/, '') || '_'] = message;
        return out;
      }
      throw error;
    }
  };

  const pick = (field: string) => (e: Event) => {
    const list = [...((e.currentTarget as HTMLInputElement).files ?? [])];
    setFiles((f) => ({ ...f, [field]: list }));
  };

  return (
    <section class="card section action" aria-labelledby={headingId} data-action-name={a().name}>
      <header class="action-head">
        <h2 id={headingId}>{a().title}</h2>
        <code class="wc-muted">{a().name}</code>
        <Show when={a().mutating}>
          <span class="wc-badge wc-badge-pending">{t('actions.mutating')}</span>
        </Show>
      </header>
      <Show when={a().description}>
        <p class="wc-muted">{a().description}</p>
      </Show>
      <Show when={a().available} fallback={<p class="wc-error">{t('actions.unavailable')}</p>}>
        <For each={schemaParts().fileKeys}>
          {(key) => {
            const id = `${fileId}-${key}`;
            const prop = a().input.properties[key]!;
            return (
              <div class="wc-field">
                <label for={id}>{prop.title ?? key}</label>
                <input id={id} type="file" onChange={pick(key)} />
              </div>
            );
          }}
        </For>
        <div class="wc-field">
          <label for={fileId}>{t('actions.files')}</label>
          <input
            id={fileId}
            type="file"
            multiple
            onChange={pick('files')}
            aria-describedby={`${fileId}-hint`}
          />
          <p class="wc-hint" id={`${fileId}-hint`}>
            {t('actions.filesHint')}
          </p>
        </div>
        <SchemaForm
          schema={schemaParts().schema}
          value={defaults()}
          mode={mode.mode()}
          onSubmit={run}
          submitLabel={t('actions.run')}
          i18n={i18n}
          label={a().title}
        />
      </Show>
      <Show when={runId()} keyed>
        {(id) => (
          <div class="action-run section" data-testid={`action-run-${a().name}`}>
            <RunProgress
              api={api}
              runId={id}
              cancellable={role.atLeast('operator')}
              i18n={i18n}
              onEnd={(r) => setEnded(r)}
            />
            <p class="small">
              <A href={`/runs/${id}`}>{t('actions.openRun')}</A>
            </p>
            <Show when={ended()}>
              <RunArtifacts runId={id} version={ended()?.status} />
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
