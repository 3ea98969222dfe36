import { Dialog } from '@webcasa/ui';
import { createSignal, Show } from 'solid-js';
import { useFilesI18n } from './i18n.js';
import { errorText } from './shared.js';

/**
 * One text field in a dialog (new folder, new file, rename). The action runs inside the
 * dialog so a refused name (exists, outside the root, bad characters) is shown next to the
 * field and the typed text is kept, instead of a toast after the input is gone.
 */
export default function NameDialog(props: {
  title: string;
  label: string;
  initial?: string;
  submitLabel: string;
  onSubmit: (value: string) => Promise<void>;
  onClose: () => void;
}) {
  const { t } = useFilesI18n();
  const [value, setValue] = createSignal(props.initial ?? '');
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  let input!: HTMLInputElement;

  async function submit(e: Event) {
    e.preventDefault();
    const v = value().trim();
    if (!v) {
      setError(t('files.name.required'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      await props.onSubmit(v);
      props.onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      initialFocus={() => input}
      footer={
        <>
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('files.perm.cancel')}
          </button>
          <button
            type="submit"
            form="files-name-form"
            class="wc-btn wc-btn-primary"
            disabled={busy()}
            data-testid="name-submit"
          >
            {props.submitLabel}
          </button>
        </>
      }
    >
      <form id="files-name-form" onSubmit={submit}>
        <label class="wc-field">
          <span>{props.label}</span>
          <input
            ref={input}
            class="wc-input"
            data-testid="name-input"
            value={value()}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-invalid={error() ? 'true' : undefined}
            aria-describedby="files-name-error"
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <Show when={error()}>
          <p id="files-name-error" class="wc-error" role="alert" data-testid="name-error">
            {error()}
          </p>
        </Show>
      </form>
    </Dialog>
  );
}
