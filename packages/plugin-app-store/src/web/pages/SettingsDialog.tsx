import { Dialog, ErrorState, Loading, RunProgress, useApi } from '@webcasa/ui';
import { createResource, createSignal, Show } from 'solid-js';
import {
  AppFormFields,
  type AppFormState,
  acceptedRules,
  createAppForm,
  FormFailure,
  formValues,
  RiskReview,
  showServerError,
  validateAppForm,
} from '../components/AppForm.js';
import { type AppDetail, type InstalledApp, storeApi } from '../lib.js';

/**
 * The settings of an installed app: the install form pre-filled with its current values
 * (secrets left empty: empty keeps them), domain, certificate and open port. Saving
 * re-renders `app.env` and the compose file and redeploys, as a run followed here.
 */
export default function SettingsDialog(props: {
  app: InstalledApp;
  onClose: () => void;
  onDone?: () => void;
}) {
  const api = storeApi();
  const core = useApi();
  const [detail] = createResource(() =>
    api.get<AppDetail>(`/apps/${props.app.source}/${encodeURIComponent(props.app.id)}`),
  );
  const form: AppFormState = createAppForm({
    values: props.app.values,
    secrets: props.app.secrets,
    domain: props.app.domain,
    tls: props.app.tls,
    port: props.app.port,
    openPort: props.app.domain !== null && props.app.publish === 'all',
  });
  const [runId, setRunId] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function save(e: Event) {
    e.preventDefault();
    const app = detail();
    if (!app) return;
    form.setFailure(null);
    if (!validateAppForm(form, app.form_fields, { checkPort: false })) return;
    const domain = form.domain().trim() || null;
    setBusy(true);
    try {
      const result = await api.put<{ runId: string }>(
        `/installed/${encodeURIComponent(props.app.id)}/settings`,
        {
          values: formValues(form),
          ...(app.exposable ? { domain } : {}),
          ...(domain ? { tls: form.tls(), openPort: form.openPort() } : {}),
          ...(form.findings() ? { acceptRisks: acceptedRules(form) } : {}),
        },
      );
      setRunId(result.runId);
    } catch (error) {
      showServerError(form, error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Settings of ${props.app.name}`} onClose={props.onClose}>
      <Show
        when={runId()}
        fallback={
          <Show
            when={!detail.error}
            fallback={
              <ErrorState
                title="The app's store no longer offers it: its settings cannot be changed"
                error={detail.error}
              />
            }
          >
            <Show when={detail()} fallback={<Loading />}>
              {(app) => (
                <form onSubmit={save} noValidate aria-label="Settings form">
                  <AppFormFields
                    form={form}
                    fields={app().form_fields}
                    exposable={app().exposable}
                    portEditable={false}
                  />
                  <RiskReview form={form} verb="apply these settings" />
                  <FormFailure form={form} />
                  <div
                    style={{
                      display: 'flex',
                      gap: '0.5rem',
                      'justify-content': 'flex-end',
                      'margin-top': '1rem',
                    }}
                  >
                    <button type="button" class="wc-btn" onClick={props.onClose}>
                      Cancel
                    </button>
                    <button
                      type="submit"
                      class="wc-btn wc-btn-primary"
                      disabled={busy() || (form.findings() !== null && !form.accepted())}
                    >
                      {form.findings() ? 'Apply anyway' : 'Save and redeploy'}
                    </button>
                  </div>
                </form>
              )}
            </Show>
          </Show>
        }
      >
        {(id) => (
          <>
            <RunProgress api={core} runId={id()} onEnd={() => props.onDone?.()} />
            <div style={{ display: 'flex', 'justify-content': 'flex-end', 'margin-top': '1rem' }}>
              <button type="button" class="wc-btn" onClick={props.onClose}>
                Close
              </button>
            </div>
          </>
        )}
      </Show>
    </Dialog>
  );
}
