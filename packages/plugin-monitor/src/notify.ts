import { sendMail } from './smtp.js';

/** The settings the notifiers read (a subset of the plugin's config). */
export interface NotifyConfig {
  webhookUrl?: string;
  smtpHost?: string;
  smtpPort: number;
  smtpSecure: boolean;
  smtpUser?: string;
  smtpPassword?: string;
  smtpFrom?: string;
  smtpTo?: string;
}

/** What an alert notification says, in every channel. */
export interface AlertNotice {
  kind: 'fired' | 'resolved' | 'test';
  ruleId: number | null;
  name: string;
  metric: string;
  comparison: string;
  threshold: number;
  value: number;
  at: number;
}

export type ChannelResult = 'sent' | 'not configured' | `failed: ${string}`;

export const describe = (n: AlertNotice) => {
  const what = n.kind === 'fired' ? 'fired' : n.kind === 'resolved' ? 'resolved' : 'test';
  const title = `[${what}] ${n.name}`;
  const body = `${n.metric} is ${n.value} (rule: ${n.comparison} ${n.threshold}) at ${new Date(n.at).toISOString()}`;
  return { title, body };
};

/** POSTs the notice as JSON to the webhook URL; a non-2xx answer is a failure. */
export async function sendWebhook(
  config: NotifyConfig,
  notice: AlertNotice,
  signal?: AbortSignal,
): Promise<ChannelResult> {
  if (!config.webhookUrl) return 'not configured';
  try {
    const { title, body } = describe(notice);
    const res = await fetch(config.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'webcasa-plugin-monitor' },
      body: JSON.stringify({ event: `monitor.alert.${notice.kind}`, title, text: body, alert: notice }),
      signal: AbortSignal.any([AbortSignal.timeout(10_000), ...(signal ? [signal] : [])]),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? 'sent' : `failed: HTTP ${res.status}`;
  } catch (e) {
    return `failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Mails the notice to `smtpTo` (comma-separated) when host, sender and recipients are set. */
export async function sendEmail(config: NotifyConfig, notice: AlertNotice): Promise<ChannelResult> {
  const to = (config.smtpTo ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!config.smtpHost || !config.smtpFrom || to.length === 0) return 'not configured';
  try {
    const { title, body } = describe(notice);
    await sendMail(
      {
        host: config.smtpHost,
        port: config.smtpPort,
        secure: config.smtpSecure,
        ...(config.smtpUser ? { user: config.smtpUser, password: config.smtpPassword ?? '' } : {}),
        from: config.smtpFrom,
        to,
      },
      { subject: `Web.Casa: ${title}`, text: `${body}\n\nSent by the Monitor plugin of Web.Casa.\n` },
    );
    return 'sent';
  } catch (e) {
    return `failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
