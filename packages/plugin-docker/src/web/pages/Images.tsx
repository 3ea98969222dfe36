import { RunProgress, useApi, useToast } from '@webcasa/ui';
import { createResource, createSignal, For, Show } from 'solid-js';
import { bytes, DockerPage, docker, errorText, useDockerI18n } from '../lib.js';

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
  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      await refetch();
    } catch (e) {
      toast({ kind: 'error', title: errorText(e) });
    }
  };
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
              <tr>
                <td>{img.tags.join(', ') || img.id.slice(7, 19)}</td>
                <td>{bytes(img.size)}</td>
                <td>{img.containers >= 0 ? img.containers : ''}</td>
                <td style={{ display: 'flex', gap: '0.25rem' }}>
                  <button
                    type="button"
                    class="wc-btn"
                    onClick={() => {
                      const target = prompt('Tag as (repo:tag)');
                      if (!target) return;
                      const [repo = target, tag = 'latest'] = target.split(/:(?=[^/:]*$)/);
                      void run(() => api.post('/images/tag', { image: img.id, repo, tag }));
                    }}
                  >
                    Tag
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
    </>
  );
}
