import { Navigate, Route, Router, type RouteSectionProps, useLocation, useNavigate } from '@solidjs/router';
import {
  createApi,
  createConfirmService,
  createToaster,
  type Locale,
  type Me,
  type Mode,
  type Shell,
  ShellProvider,
  type Theme,
  Toaster,
  useShell,
} from '@webcasa/ui';
import { createSignal, lazy, type ParentProps, Show } from 'solid-js';
import { createI18n } from './i18n.js';
import { Login } from './pages/Login.js';
import { applyTheme, browserLocale, readPrefs, systemTheme, writePrefs } from './state/prefs.js';
import { type Session, SessionContext, useSession } from './state/session.js';

// The sign-in page is in the first load; everything behind it loads on demand.
const Layout = lazy(() => import('./layout/Layout.js'));
const Setup = lazy(() => import('./pages/Setup.js'));
const Dashboard = lazy(() => import('./pages/Dashboard.js'));
const PluginPage = lazy(() => import('./pages/PluginPage.js'));
const Plugins = lazy(() => import('./pages/Plugins.js'));
const PluginDetail = lazy(() => import('./pages/plugin/PluginDetail.js'));
const Runs = lazy(() => import('./pages/Runs.js'));
const RunDetail = lazy(() => import('./pages/RunDetail.js'));
const Sites = lazy(() => import('./pages/sites/Sites.js'));
const SiteEdit = lazy(() => import('./pages/sites/SiteEdit.js'));
const Users = lazy(() => import('./pages/Users.js'));
const Tokens = lazy(() => import('./pages/Tokens.js'));
const Audit = lazy(() => import('./pages/Audit.js'));
const Settings = lazy(() => import('./pages/Settings.js'));
const NotFound = lazy(() => import('./pages/NotFound.js'));

/** Everything around the routes: the shell's services, toasts and confirmations. */
function Root(props: RouteSectionProps) {
  const navigate = useNavigate();
  const location = useLocation();
  const prefs = readPrefs();
  const [me, setMe] = createSignal<Me | null>(null);
  const [setupNeeded, setSetupNeeded] = createSignal(false);
  const [booted, setBooted] = createSignal(false);
  const [mode, setModeSignal] = createSignal<Mode>(prefs.mode ?? 'novice');
  const [theme, setThemeSignal] = createSignal<Theme>(prefs.theme ?? systemTheme());
  applyTheme(theme());
  const i18n = createI18n(prefs.locale ?? browserLocale() ?? 'en', (locale: Locale) =>
    writePrefs({ locale }),
  );
  document.documentElement.lang = i18n.locale();
  const toaster = createToaster();
  const confirms = createConfirmService({
    skip: (o) => mode() === 'advanced' && !o.danger && !o.always,
  });

  const api = createApi({
    onUnauthorized: () => {
      // The session ended (expired, signed out elsewhere, user disabled): back to sign-in, then back here.
      if (!me()) return;
      setMe(null);
      api.setCsrfToken(null);
      const next = location.pathname + location.search;
      navigate(`/login?expired=1&next=${encodeURIComponent(next)}`, { replace: true });
    },
  });

  const shell: Shell = {
    api,
    i18n,
    me,
    mode: {
      mode,
      isAdvanced: () => mode() === 'advanced',
      setMode: (m) => {
        setModeSignal(m);
        writePrefs({ mode: m });
      },
    },
    theme: {
      theme,
      setTheme: (t) => {
        setThemeSignal(t);
        applyTheme(t);
        writePrefs({ theme: t });
      },
    },
    toast: (input) => void toaster.push(input),
    confirm: confirms.confirm,
  };

  const session: Session = {
    booted,
    setupNeeded,
    signedIn: (answer) => {
      api.setCsrfToken(answer.csrfToken);
      setSetupNeeded(false);
      setMe({
        user: answer.user,
        via: 'session',
        scopes: null,
        csrfToken: answer.csrfToken,
        totpEnabled: false,
      });
    },
    signOut: async () => {
      try {
        await api.auth.logout();
      } finally {
        setMe(null);
        navigate('/login?signedOut=1', { replace: true });
      }
    },
    refreshMe: async () => {
      setMe(await api.auth.me());
    },
  };

  // Boot: is setup needed, who is signed in, and the panel's defaults for this browser.
  const boot = async (attempt = 0): Promise<void> => {
    try {
      const [needed, current] = await Promise.all([api.auth.setupNeeded(), api.auth.me()]);
      setSetupNeeded(needed);
      setMe(current);
      setBooted(true);
      if (current && (!prefs.mode || !prefs.locale)) {
        const settings = await api.settings.get().catch(() => undefined);
        if (settings && !prefs.mode) setModeSignal(settings.defaultMode);
        if (settings && !prefs.locale && !browserLocale()) i18n.setLocale(settings.locale);
      }
    } catch {
      // The panel is restarting or unreachable: keep trying, a bounded number of times.
      if (attempt < 20) setTimeout(() => void boot(attempt + 1), Math.min(5000, 250 * 2 ** attempt));
    }
  };
  void boot();

  return (
    <ShellProvider value={shell}>
      <SessionContext.Provider value={session}>
        <Show when={booted()} fallback={<p class="wc-loading">{i18n.t('app.loading')}</p>}>
          {props.children}
        </Show>
        <Toaster toaster={toaster} i18n={i18n} />
        <confirms.Host i18n={i18n} />
      </SessionContext.Provider>
    </ShellProvider>
  );
}

function RequireUser(props: ParentProps) {
  const location = useLocation();
  const session = useSession();
  const me = useShell().me;
  return (
    <Show
      when={me()}
      fallback={
        session.setupNeeded() ? (
          <Navigate href="/setup" />
        ) : (
          <Navigate href={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} />
        )
      }
    >
      <Layout>{props.children}</Layout>
    </Show>
  );
}

/** The shell: sign-in pages outside the layout, everything else inside it. */
export function App() {
  return (
    <Router root={Root}>
      <Route path="/setup" component={Setup} />
      <Route path="/login" component={Login} />
      <Route path="/" component={RequireUser}>
        <Route path="/" component={Dashboard} />
        <Route path="/p/:plugin/*rest" component={PluginPage} />
        <Route path="/admin/plugins" component={Plugins} />
        <Route path="/admin/plugins/:id/:tab?" component={PluginDetail} />
        <Route path="/runs" component={Runs} />
        <Route path="/runs/:id" component={RunDetail} />
        <Route path="/sites" component={Sites} />
        <Route path="/sites/new" component={SiteEdit} />
        <Route path="/sites/:id" component={SiteEdit} />
        <Route path="/admin/users" component={Users} />
        <Route path="/admin/audit" component={Audit} />
        <Route path="/account/tokens" component={Tokens} />
        <Route path="/settings" component={Settings} />
        <Route path="*404" component={NotFound} />
      </Route>
    </Router>
  );
}
