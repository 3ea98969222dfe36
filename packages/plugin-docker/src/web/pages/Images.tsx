import { ApiError, Dialog, RunProgress, useApi, useToast } from '@webcasa/ui';
import { createResource, createSignal, createUniqueId, For, Show } from 'solid-js';
import { bytes, DockerPage, docker, errorText, useDockerI18n, useListAction } from '../lib.js';

interface Image {
  id: string;
  tags: string[];
  size: number;
  containers: number;
}

export default function Images() {
  const { t } = useDockerI18n();
  return (
    <DockerPage title={t('docker.images')} advanced>
      <ImageList />
    </DockerPage>
  );
}

function ImageList() {
  const { t } = useDockerI18n();
  const api = docker();
  const root = useApi();
  const toast = useToast();
  const [images, { refetch }] = createResource(() => api.get<{ items: Image[] }>('/images'));
  const [ref, setRef] = createSignal('');
  const [runId, setRunId] = createSignal<string | null>(null);
  const [tagging, setTagging] = createSignal<Image | null>(null);
  const run = useListAction(refetch);
  return (
    <>
      <form
        style={{ display: 'flex', gap: '0.5rem', 'margin-bottom': '1rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          void run(async () =>
            setRunId((await api.post<{ runId: string }>('/images/pull', { image: ref() })).runId),
          );
        }}
      >
        <input
          class="wc-input"
          aria-label="Image"
          placeholder="nginx:alpine"
          value={ref()}
          onInput={(e) => setRef(e.currentTarget.value)}
        />
        <button type="submit" class="wc-btn wc-btn-primary">
          {t('docker.pull')}
        </button>
        <button type="button" class="wc-btn" onClick={() => run(() => api.post('/images/prune', {}))}>
          {t('docker.prune')}
        </button>
      </form>
      <Show when={runId()}>{(id) => <RunProgress api={root} runId={id()} onEnd={() => refetch()} />}</Show>
      <table class="wc-table" aria-label={t('docker.images')}>
        <thead>
          <tr>
            <th>Tags</th>
            <th>Size</th>
            <th>{t('docker.containers')}</th>
            <th>{t('docker.actions')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={images()?.items}>
            {(img) => (
              <tr data-testid={`image-${img.id.slice(7, 19)}`}>
                <td>{img.tags.join(', ') || img.id.slice(7, 19)}</td>
                <td>{bytes(img.size)}</td>
                <td>{img.containers >= 0 ? img.containers : ''}</td>
                <td style={{ display: 'flex', gap: '0.25rem' }}>
                  <button type="button" class="wc-btn" onClick={() => setTagging(img)}>
                    {t('docker.tag')}
                  </button>
                  <button
                    type="button"
                    class="wc-btn"
                    onClick={() =>
                      run(() => api.delete(`/images?image=${encodeURIComponent(img.tags[0] ?? img.id)}`))
                    }
                  >
                    {t('docker.remove')}
                  </button>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
      <Show when={tagging()}>
        {(img) => (
          <TagImage
            image={img()}
            onClose={() => setTagging(null)}
            onTagged={(name) => {
              setTagging(null);
              toast({ kind: 'success', title: t('docker.tagged', { image: name }) });
              void refetch();
            }}
          />
        )}
      </Show>
    </>
  );
}

/** `POST /images/tag` with the repository and tag as separate fields; errors stay in the dialog. */
function TagImage(props: { image: Image; onClose: () => void; onTagged: (name: string) => void }) {
  const { t } = useDockerI18n();
  const api = docker();
  const current = props.image.tags[0] ?? '';
  const [repo, setRepo] = createSignal(current ? current.replace(/:[^/:]*$/, '') : '');
  const [tag, setTag] = createSignal('latest');
  const [errors, setErrors] = createSignal<{ repo?: string; tag?: string; _?: string }>({});
  const [busy, setBusy] = createSignal(false);
  const id = createUniqueId();
  const submit = async (ev: Event) => {
    ev.preventDefault();
    const problems: { repo?: string; tag?: string } = {};
    if (!repo().trim()) problems.repo = t('docker.err.required');
    if (!tag().trim()) problems.tag = t('docker.err.required');
    setErrors(problems);
    if (problems.repo || problems.tag) return;
    setBusy(true);
    try {
      const r = await api.post<{ image: string }>('/images/tag', {
        image: props.image.id,
        repo: repo().trim(),
        tag: tag().trim(),
      });
      props.onTagged(r.image);
    } catch (e) {
      if (e instanceof ApiError && (e.field === 'body.repo' || e.field === 'body.tag')) {
        const key = e.field === 'body.repo' ? 'repo' : 'tag';
        setErrors({ [key]: e.fieldErrors()[key] ?? e.message });
      } else setErrors({ _: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  const field = (key: 'repo' | 'tag', label: string, value: () => string, onInput: (v: string) => void) => (
    <div class="wc-field" classList={{ 'wc-field-invalid': !!errors()[key] }}>
      <label for={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        class="wc-input"
        spellcheck={false}
        value={value()}
        aria-invalid={errors()[key] ? true : undefined}
        aria-describedby={errors()[key] ? `${id}-${key}-error` : undefined}
        onInput={(e) => {
          onInput(e.currentTarget.value);
          setErrors((x) => ({ ...x, [key]: undefined }));
        }}
      />
      <Show when={errors()[key]}>
        <p id={`${id}-${key}-error`} class="wc-error">
          {errors()[key]}
        </p>
      </Show>
    </div>
  );
  return (
    <Dialog
      title={t('docker.tagImage', { image: current || props.image.id.slice(7, 19) })}
      onClose={props.onClose}
    >
      <form onSubmit={submit} noValidate data-testid="tag-image">
        {field('repo', t('docker.repo'), repo, setRepo)}
        {field('tag', t('docker.tag'), tag, setTag)}
        <Show when={errors()._}>
          <p role="alert" class="wc-error">
            {errors()._}
          </p>
        </Show>
        <div style={{ display: 'flex', gap: '0.5rem', 'margin-top': '0.5rem' }}>
          <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
            {t('docker.tag')}
          </button>
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('docker.cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
