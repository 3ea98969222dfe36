import { Dialog, useApi, useShell, useToast } from '@webcasa/ui';
import { createSignal, For, Show } from 'solid-js';
import { useFilesI18n } from './i18n.js';
import { fromBits, parseOctal, toBits, toOctal, WHAT, WHO } from './mode.js';
import { type Entry, errorText } from './shared.js';

/**
 * chmod (octal field and rwx checkboxes, kept in step) and, for admins, chown by numeric ids,
 * for one entry. The API changes the entry itself only (no recursive mode).
 */
export default function PermissionsDialog(props: {
  root: number;
  path: string;
  entry: Entry;
  onClose: () => void;
  onDone: () => void;
}) {
  const { t } = useFilesI18n();
  const api = useApi().plugin('files');
  const toast = useToast();
  const shell = useShell();
  const isAdmin = () => shell.me()?.user.role === 'admin';
  const initial = Number.parseInt(props.entry.mode, 8);
  const [octal, setOctal] = createSignal(toOctal(initial));
  const [uid, setUid] = createSignal(String(props.entry.uid ?? ''));
  const [gid, setGid] = createSignal(String(props.entry.gid ?? ''));
  const [error, setError] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const mode = () => parseOctal(octal());
  const bits = () => toBits(mode() ?? initial);

  const toggle = (index: number, on: boolean) => {
    const next = bits();
    next.rwx[index] = on;
    setOctal(toOctal(fromBits(next)));
  };

  async function apply(e: Event) {
    e.preventDefault();
    const m = mode();
    if (m === null) {
      setError(t('files.perm.octalHint'));
      return;
    }
    setBusy(true);
    setError('');
    try {
      if (m !== initial) await api.post('/chmod', { root: props.root, path: props.path, mode: toOctal(m) });
      const u = Number(uid());
      const g = Number(gid());
      if (isAdmin() && (u !== props.entry.uid || g !== props.entry.gid))
        await api.post('/chown', { root: props.root, path: props.path, uid: u, gid: g });
      toast({ kind: 'success', title: t('files.perm.done') });
      props.onDone();
      props.onClose();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog
      title={t('files.perm.title', { name: props.entry.name })}
      onClose={props.onClose}
      footer={
        <>
          <button type="button" class="wc-btn" onClick={props.onClose}>
            {t('files.perm.cancel')}
          </button>
          <button
            type="submit"
            form="files-perm-form"
            class="wc-btn wc-btn-primary"
            disabled={busy()}
            data-testid="perm-apply"
          >
            {t('files.perm.apply')}
          </button>
        </>
      }
    >
      <form id="files-perm-form" onSubmit={apply} data-testid="perm-dialog">
        <label class="wc-field">
          <span>{t('files.perm.octal')}</span>
          <input
            class="wc-input"
            value={octal()}
            inputMode="numeric"
            maxLength={4}
            aria-invalid={mode() === null}
            aria-describedby="files-perm-octal-hint"
            data-testid="perm-octal"
            onInput={(e) => setOctal(e.currentTarget.value)}
          />
          <small id="files-perm-octal-hint">{t('files.perm.octalHint')}</small>
        </label>
        <table class="wc-table" style={{ margin: '0.75rem 0' }}>
          <thead>
            <tr>
              <th scope="col">{t('files.perm.who')}</th>
              <For each={WHAT}>{(what) => <th scope="col">{t(`files.perm.${what}`)}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <For each={WHO}>
              {(who, w) => (
                <tr>
                  <th scope="row">{t(`files.perm.${who}`)}</th>
                  <For each={WHAT}>
                    {(what, p) => (
                      <td>
                        <input
                          type="checkbox"
                          aria-label={`${t(`files.perm.${who}`)} ${t(`files.perm.${what}`)}`}
                          data-testid={`perm-${who}-${what}`}
                          checked={bits().rwx[w() * 3 + p()]}
                          onChange={(e) => toggle(w() * 3 + p(), e.currentTarget.checked)}
                        />
                      </td>
                    )}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <Show
          when={isAdmin()}
          fallback={<p style={{ color: 'var(--wc-muted)' }}>{t('files.perm.ownerAdmin')}</p>}
        >
          <div style={{ display: 'flex', gap: '0.5rem' }}>
            <label class="wc-field">
              <span>{t('files.perm.uid')}</span>
              <input
                class="wc-input"
                type="number"
                min="0"
                value={uid()}
                onInput={(e) => setUid(e.currentTarget.value)}
              />
            </label>
            <label class="wc-field">
              <span>{t('files.perm.gid')}</span>
              <input
                class="wc-input"
                type="number"
                min="0"
                value={gid()}
                onInput={(e) => setGid(e.currentTarget.value)}
              />
            </label>
          </div>
        </Show>
        <p style={{ color: 'var(--wc-muted)', 'font-size': '0.875rem' }}>{t('files.perm.notRecursive')}</p>
        <Show when={error()}>
          <p role="alert" style={{ color: 'var(--wc-danger, #d33)' }}>
            {error()}
          </p>
        </Show>
      </form>
    </Dialog>
  );
}
