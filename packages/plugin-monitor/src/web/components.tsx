import { A } from '@solidjs/router';
import type { JSX } from 'solid-js';
import { useMonitorI18n } from './i18n.js';

/** A labelled horizontal bar for a percentage (0–100), coloured by level. */
export function Meter(props: { label: string; value: number; detail?: string }) {
  const color = () =>
    props.value >= 90
      ? 'var(--wc-danger, #d33)'
      : props.value >= 75
        ? 'var(--wc-warning, #d90)'
        : 'var(--wc-accent)';
  return (
    <div class="monitor-meter" style={{ margin: '0.35rem 0' }}>
      <div style={{ display: 'flex', 'justify-content': 'space-between', 'font-size': '0.875rem' }}>
        <span>{props.label}</span>
        <span style={{ color: 'var(--wc-muted)' }}>
          {props.value.toFixed(1)} %{props.detail ? ` · ${props.detail}` : ''}
        </span>
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar; a native <meter> cannot be themed alike in every browser */}
      <div
        role="meter"
        aria-label={props.label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(props.value)}
        style={{
          height: '0.5rem',
          background: 'var(--wc-border)',
          'border-radius': '0.25rem',
          overflow: 'hidden',
        }}
      >
        <div
          style={{
            width: `${Math.min(100, Math.max(0, props.value))}%`,
            height: '100%',
            background: color(),
          }}
        />
      </div>
    </div>
  );
}

export function Section(props: { title: string; children: JSX.Element }) {
  return (
    <section class="card" style={{ padding: '1rem' }}>
      <h2 style={{ 'font-size': '1rem', margin: '0 0 0.5rem' }}>{props.title}</h2>
      {props.children}
    </section>
  );
}

export function Tabs() {
  const { t } = useMonitorI18n();
  const link = (href: string, label: string) => (
    <A class="wc-btn" href={`/p/monitor${href}`} end>
      {label}
    </A>
  );
  return (
    <nav aria-label={t('monitor.tabs')} style={{ display: 'flex', gap: '0.5rem', margin: '0 0 1rem' }}>
      {link('/', t('monitor.tab.now'))}
      {link('/history', t('monitor.tab.history'))}
      {link('/rules', t('monitor.tab.rules'))}
    </nav>
  );
}
