import { A, useLocation } from '@solidjs/router';
import { EmptyState, useI18n } from '@webcasa/ui';

export default function NotFound() {
  const { t } = useI18n();
  const location = useLocation();
  return (
    <EmptyState
      title={t('notfound.title')}
      body={t('notfound.body', { path: location.pathname })}
      action={
        <A class="wc-btn" href="/">
          {t('notfound.home')}
        </A>
      }
    />
  );
}
