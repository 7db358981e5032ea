// Browser entry of the dashboard bundle (scripts/build-dashboard.js): mounts <Dashboard> on #root.
import { createRoot } from 'react-dom/client';
import type { RenderText } from '../react/agent-log-row';
import { Dashboard } from './dashboard';
import { signInFromFragment } from './sign-in-from-fragment';
import { MarkdownText } from './markdown-text';

/** Assistant text and reasoning as markdown. */
const renderMarkdown: RenderText = (text) => <MarkdownText text={text} />;

/** The API prefix: `data-base-url` on #root when the server set it, else the page's directory. */
function baseUrlOf(root: HTMLElement): string {
  const configured = root.getAttribute('data-base-url');
  if (configured !== null) return configured;
  return window.location.pathname.replace(/\/[^/]*$/, '');
}

/** Mounts the dashboard (called once when the bundle loads). */
export function mountDashboard(root: HTMLElement): void {
  const params = new URLSearchParams(window.location.search);
  const onSelect = (agentId: string) => {
    const url = new URL(window.location.href);
    url.searchParams.set('agent', agentId);
    window.history.replaceState(null, '', url);
  };
  const onGrid = (grid: boolean) => {
    const url = new URL(window.location.href);
    if (grid) url.searchParams.set('view', 'grid');
    else url.searchParams.delete('view');
    window.history.replaceState(null, '', url);
  };
  createRoot(root).render(
    <Dashboard
      baseUrl={baseUrlOf(root)}
      initialAgentId={params.get('agent')}
      onSelect={onSelect}
      initialGrid={params.get('view') === 'grid'}
      onGrid={onGrid}
      renderText={renderMarkdown}
    />,
  );
}

const root = typeof document !== 'undefined' ? document.getElementById('root') : null;
// The printed link's `#token=…` first (so the first GET /agents already has the cookie).
if (root)
  void signInFromFragment({ location: window.location, history: window.history, baseUrl: baseUrlOf(root) }).then(() =>
    mountDashboard(root),
  );
