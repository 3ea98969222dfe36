import { Dialog, RunProgress, useApi } from '@webcasa/ui';
import { createSignal, Show } from 'solid-js';
import {
  AppFormFields,
  acceptedRules,
  createAppForm,
  FormFailure,
  formValues,
  RiskReview,
  showServerError,
  validateAppForm,
} from '../components/AppForm.js';
import { type AppDetail, type Finding, storeApi } from '../lib.js';

/** The install form generated from the app's `form_fields`, its safety review and the install run. */
export default function InstallDialog(props: {
  app: AppDetail;
  onClose: () => void;
  onInstalled?: () => void;
}) {
  const api = storeApi();
  const core = useApi();
  const form = createAppForm({ port: props.app.port });
  const [runId, setRunId] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  function body() {
    const domain = form.domain().trim() || null;
    return {
      values: formValues(form),
      domain,
      tls: form.tls(),
      ...(domain ? { openPort: form.openPort() } : {}),
      ...(form.port() ? { port: Number(form.port()) } : {}),
    };
  }

  async function review(e: Event) {
    e.preventDefault();
    form.setFailure(null);
    if (!validateAppForm(form, props.app.form_fields, { checkPort: true })) return;
    setBusy(true);
    try {
      const result = await api.post<{ findings: Finding[] }>(
        `/apps/${props.app.source}/${props.app.id}/review`,
        body(),
      );
      form.setFindings(result.findings);
      form.setAccepted(result.findings.length === 0);
    } catch (error) {
      showServerError(form, error);
    } finally {
      setBusy(false);
    }
  }

  async function install() {
    setBusy(true);
    form.setFailure(null);
    try {
      const result = await api.post<{ runId: string }>('/install', {
        source: props.app.source,
        app: props.app.id,
        ...body(),
        acceptRisks: acceptedRules(form),
      });
      setRunId(result.runId);
    } catch (error) {
      showServerError(form, error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Install ${props.app.name}`} onClose={props.onClose}>
      <Show
        when={runId()}
        fallback={
          <form onSubmit={review} noValidate aria-label="Install form">
            <AppFormFields
              form={form}
              fields={props.app.form_fields}
              exposable={props.app.exposable}
              portEditable
            />
            <RiskReview form={form} verb="install" />
            <FormFailure form={form} />
            <div
              style={{ display: 'flex', gap: '0.5rem', 'justify-content': 'flex-end', 'margin-top': '1rem' }}
            >
              <button type="button" class="wc-btn" onClick={props.onClose}>
                Cancel
              </button>
              <Show
                when={form.findings()}
                fallback={
                  <button type="submit" class="wc-btn wc-btn-primary" disabled={busy()}>
                    Review
                  </button>
                }
              >
                <button
                  type="button"
                  class="wc-btn wc-btn-primary"
                  disabled={busy() || !form.accepted()}
                  onClick={install}
                >
                  Install
                </button>
              </Show>
            </div>
          </form>
        }
      >
        {(id) => <RunProgress api={core} runId={id()} onEnd={() => props.onInstalled?.()} />}
      </Show>
    </Dialog>
  );
}
