import { createResource, createSignal, For } from 'solid-js';
import { DockerPage, docker, useDockerI18n, useListAction } from '../lib.js';

interface Volume {
  name: string;
  driver: string;
  stack: string | null;
  mountpoint: string;
}

export default function Volumes() {
  const { t } = useDockerI18n();
  return (
    <DockerPage title={t('docker.volumes')} advanced>
      <VolumeList />
    </DockerPage>
  );
}

function VolumeList() {
  const { t } = useDockerI18n();
  const api = docker();
  const [vols, { refetch }] = createResource(() => api.get<{ items: Volume[] }>('/volumes'));
  const [name, setName] = createSignal('');
  const run = useListAction(refetch);
  return (
    <>
      <form
        style={{ display: 'flex', gap: '0.5rem', 'margin-bottom': '1rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.post('/volumes', { name: name() }));
        }}
      >
        <input
          class="wc-input"
          aria-label={t('docker.name')}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" class="wc-btn wc-btn-primary">
          {t('docker.create')}
        </button>
        <button
          type="button"
          class="wc-btn"
          onClick={() => confirm('Remove every unused volume?') && run(() => api.post('/volumes/prune', {}))}
        >
          {t('docker.prune')}
        </button>
      </form>
      <table class="wc-table" aria-label={t('docker.volumes')}>
        <thead>
          <tr>
            <th>{t('docker.name')}</th>
            <th>Driver</th>
            <th>{t('docker.stacks')}</th>
            <th>{t('docker.actions')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={vols()?.items}>
            {(v) => (
              <tr>
                <td title={v.mountpoint}>{v.name}</td>
                <td>{v.driver}</td>
                <td>{v.stack ?? ''}</td>
                <td>
                  <button
                    type="button"
                    class="wc-btn"
                    onClick={() => run(() => api.delete(`/volumes/${encodeURIComponent(v.name)}`))}
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
