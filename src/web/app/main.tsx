/** The console's shell: sign-in, navigation, theme, live alerts (SSE), and the page for the current URL. */
import { StrictMode, useEffect, useState, type FormEvent } from 'react';
import { can, live, MeContext, type Me } from './session.ts';
import { createRoot } from 'react-dom/client';
import { api, ApiError, get, setCsrf, setOnUnauthenticated } from './api.ts';
import { Link, navigate, useLocation } from './router.tsx';
import { ErrorBoundary, ErrorBox, Loading } from './ui.tsx';
import { AlertsPage } from './pages/alerts.tsx';
import { AlertPage } from './pages/alert.tsx';
import { ActivitiesPage } from './pages/activities.tsx';
import { UserPage } from './pages/user.tsx';
import { PoliciesPage } from './pages/policies.tsx';
import { GovernancePage } from './pages/governance.tsx';
import { PosturePage } from './pages/posture.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { ConnectorsPage, IpRangesPage, SettingsPage } from './pages/admin.tsx';
import { AuditPage } from './pages/audit.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { SuppressionsPage } from './pages/suppressions.tsx';
import { RejectsPage } from './pages/rejects.tsx';
import './style.css';

function Login({ onIn }: { onIn: (me: Me) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('POST', '/api/auth/login', { email, password });
      setCsrf(me.csrfToken);
      onIn(me);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Rampart</h1>
        <label>
          Email
          <input name="email" type="text" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorBox error={error} />
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

function ChangePassword({ me, onDone }: { me: Me; onDone: () => void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<{ message: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== again) return setError({ message: 'The two new passwords differ.' });
    try {
      await api('POST', '/api/auth/password', { currentPassword: current, newPassword: next });
      onDone();
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-label="Change password">
        <h1>Choose your password</h1>
        <p>{me.name} signed in with a one-time password. Set your own (at least 12 characters, not containing your account name).</p>
        <label>
          One-time password
          <input name="current" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} required autoFocus />
        </label>
        <label>
          New password
          <input name="new" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} required minLength={12} />
        </label>
        <label>
          New password again
          <input name="again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
        </label>
        <ErrorBox error={error} />
        <button className="primary" type="submit">
          Set password
        </button>
      </form>
    </main>
  );
}

/** Path, label, and the role the API requires to read it (links the person could not open are left out). */
const NAV: [string, string, Me['role']][] = [
  ['/', 'Overview', 'viewer'],
  ['/alerts', 'Alerts', 'viewer'],
  ['/suppressions', 'Suppressions', 'viewer'],
  ['/activities', 'Activity log', 'viewer'],
  ['/policies', 'Policies', 'viewer'],
  ['/governance', 'Governance log', 'viewer'],
  ['/posture', 'Posture', 'viewer'],
  ['/ip-ranges', 'IP ranges', 'viewer'],
  ['/connectors', 'Connectors', 'viewer'],
  ['/rejects', 'Rejected input', 'admin'],
  ['/audit', 'Audit log', 'admin'],
  ['/tokens', 'API tokens', 'admin'],
  ['/settings', 'Settings', 'viewer'],
];

function Page({ path }: { path: string }) {
  const m = (re: RegExp) => re.exec(path);
  let r: RegExpExecArray | null;
  if (path === '/') return <OverviewPage />;
  if (path === '/alerts') return <AlertsPage />;
  if ((r = m(/^\/alerts\/([^/]+)$/))) return <AlertPage id={decodeURIComponent(r[1])} />;
  if (path === '/activities') return <ActivitiesPage />;
  if ((r = m(/^\/users\/([^/]+)$/))) return <UserPage user={decodeURIComponent(r[1])} />;
  if (path === '/policies') return <PoliciesPage />;
  if (path === '/governance') return <GovernancePage />;
  if (path === '/posture') return <PosturePage />;
  if (path === '/ip-ranges') return <IpRangesPage />;
  if (path === '/connectors') return <ConnectorsPage />;
  if (path === '/settings') return <SettingsPage />;
  if (path === '/suppressions') return <SuppressionsPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/tokens') return <TokensPage />;
  if (path === '/rejects') return <RejectsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No console page at <code>{path}</code>. <Link to="/">Go to the overview</Link>.
      </p>
    </section>
  );
}

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => localStorage.getItem('rampart.theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('rampart.theme', theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))];
}

function Shell({ me, onOut }: { me: Me; onOut: () => void }) {
  const { path, query } = useLocation();
  const [theme, toggle] = useTheme();
  const [fresh, setFresh] = useState(0);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    const es = new EventSource('/api/events');
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    const on = (kind: 'alert.raised' | 'alert.updated') => (e: MessageEvent) => {
      let a: any;
      try {
        a = JSON.parse(e.data);
      } catch {
        return;
      }
      if (kind === 'alert.raised') setFresh((n) => n + 1);
      live.forEach((l) => l(kind, a));
    };
    es.addEventListener('alert.raised', on('alert.raised'));
    es.addEventListener('alert.updated', on('alert.updated'));
    return () => es.close();
  }, []);
  useEffect(() => {
    if (path === '/alerts') setFresh(0);
  }, [path]);
  // "g" then a letter jumps between pages; "/" focuses the page's first search field.
  useEffect(() => {
    let g = false;
    const keys: Record<string, string> = { o: '/', a: '/alerts', l: '/activities', p: '/policies', v: '/governance', s: '/posture' };
    const k = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable]') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === '/') {
        const f = document.querySelector<HTMLElement>('main input[type="search"], main input[type="text"]');
        if (f) {
          e.preventDefault();
          f.focus();
        }
      } else if (g && keys[e.key]) {
        navigate(keys[e.key]);
        g = false;
      } else g = e.key === 'g';
    };
    window.addEventListener('keydown', k);
    return () => window.removeEventListener('keydown', k);
  }, []);
  const signOut = async () => {
    await api('POST', '/api/auth/logout').catch(() => undefined);
    setCsrf(null);
    onOut();
  };
  return (
    <MeContext.Provider value={me}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <div className="shell">
        <nav aria-label="Main">
          <div className="brand">Rampart</div>
          <ul>
            {NAV.filter(([, , role]) => can(me, role)).map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={(to === '/' ? path === '/' : path.startsWith(to)) ? 'page' : undefined}>
                  {label}
                  {to === '/alerts' && fresh > 0 ? (
                    <span className="badge live" data-testid="new-alerts" title="new alerts since you last looked">
                      {fresh} new
                    </span>
                  ) : null}
                </Link>
              </li>
            ))}
          </ul>
          <div className="nav-foot">
            <div className={connected ? 'live-on' : 'live-off'} title="live alert stream (server-sent events)">
              {connected ? '● live' : '○ offline'}
            </div>
            <div className="who">
              {me.name} <span className="muted">({me.role})</span>
            </div>
            <button type="button" onClick={toggle} aria-label="Toggle light or dark theme">
              {theme === 'dark' ? 'Light theme' : 'Dark theme'}
            </button>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </div>
        </nav>
        <main id="main" tabIndex={-1}>
          {/* A page that throws shows an error panel; the navigation stays, and another URL tries again. */}
          <ErrorBoundary what="page" resetKey={`${path}?${query}`}>
            <Page path={path} />
          </ErrorBoundary>
        </main>
      </div>
    </MeContext.Provider>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const load = () =>
    get<Me>('/api/auth/me').then(
      (m) => {
        setCsrf(m.csrfToken);
        setMe(m);
      },
      (e: ApiError) => {
        if (e.status === 401) setMe(null);
        else setError(e);
      },
    );
  useEffect(() => {
    setOnUnauthenticated(() => setMe(null));
    void load();
  }, []);
  if (error) return <ErrorBox error={error} />;
  if (me === undefined) return <Loading what="Starting" />;
  if (me === null) return <Login onIn={(m) => setMe(m)} />;
  if (me.mustChangePassword) return <ChangePassword me={me} onDone={() => void load()} />;
  return <Shell me={me} onOut={() => setMe(null)} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary what="console">
      <App />
    </ErrorBoundary>
  </StrictMode>,
);
