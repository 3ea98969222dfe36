import { createResource, createSignal, For } from 'solid-js';
import { DockerPage, docker, useDockerI18n, useListAction } from '../lib.js';

interface Network {
  id: string;
  name: string;
  driver: string;
  subnets: string[];
  builtin: boolean;
}

export default function Networks() {
  const { t } = useDockerI18n();
  return (
    <DockerPage title={t('docker.networks')} advanced>
      <NetworkList />
    </DockerPage>
  );
}

function NetworkList() {
  const { t } = useDockerI18n();
  const api = docker();
  const [nets, { refetch }] = createResource(() => api.get<{ items: Network[] }>('/networks'));
  const [name, setName] = createSignal('');
  const run = useListAction(refetch);
  return (
    <>
      <form
        style={{ display: 'flex', gap: '0.5rem', 'margin-bottom': '1rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => api.post('/networks', { name: name() }));
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
      </form>
      <table class="wc-table" aria-label={t('docker.networks')}>
        <thead>
          <tr>
            <th>{t('docker.name')}</th>
            <th>Driver</th>
            <th>Subnets</th>
            <th>{t('docker.actions')}</th>
          </tr>
        </thead>
        <tbody>
          <For each={nets()?.items}>
            {(n) => (
              <tr>
                <td>{n.name}</td>
                <td>{n.driver}</td>
                <td>{n.subnets.join(', ')}</td>
                <td>
                  <button
                    type="button"
                    class="wc-btn"
                    disabled={n.builtin}
                    onClick={() => run(() => api.delete(`/networks/${n.id}`))}
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
