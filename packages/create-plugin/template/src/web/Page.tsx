import { useApi } from '@webcasa/ui';
import { createResource, createSignal, For } from 'solid-js';

interface Item {
  id: number;
  title: string;
}

export default function Page() {
  const api = useApi().plugin('__ID__');
  const [items, { refetch }] = createResource(() => api.get<{ items: Item[] }>('/items'));
  const [title, setTitle] = createSignal('');
  const add = async (event: SubmitEvent) => {
    event.preventDefault();
    await api.post('/items', { title: title() });
    setTitle('');
    await refetch();
  };
  return (
    <div class="page">
      <h1 data-testid="__ID__-title">__NAME__</h1>
      <form onSubmit={add}>
        <input
          class="wc-input"
          value={title()}
          onInput={(e) => setTitle(e.currentTarget.value)}
          placeholder="New item"
        />
        <button type="submit" class="wc-btn wc-btn-primary">
          Add
        </button>
      </form>
      <ul data-testid="__ID__-items">
        <For each={items()?.items ?? []}>{(item) => <li>{item.title}</li>}</For>
      </ul>
    </div>
  );
}
