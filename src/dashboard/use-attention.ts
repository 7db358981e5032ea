import { useCallback, useEffect, useRef, useState } from 'react';
import type { AgentSummary } from './use-agent-list';

/** Where the desktop-notification opt-in is kept in `localStorage`. */
const NOTIFY_KEY = 'agent-stream.notify';
/** The tab title with nothing waiting. */
export const BASE_TITLE = 'agent-stream';

/** The agents waiting for an answer, the oldest request first. */
export function waitingAgentsOf(agents: readonly AgentSummary[] | null): AgentSummary[] {
  return (agents ?? [])
    .filter((a) => (a.waiting ?? 0) > 0)
    .sort((a, b) => (a.waitingSince ?? '').localeCompare(b.waitingSince ?? '') || a.id.localeCompare(b.id));
}

/** The tab title: `(3) agent-stream` while 3 requests wait, else `agent-stream`. */
export const attentionTitle = (agents: readonly AgentSummary[] | null): string => {
  const total = (agents ?? []).reduce((n, a) => n + (a.waiting ?? 0), 0);
  return total > 0 ? `(${total}) ${BASE_TITLE}` : BASE_TITLE;
};

const storage = (): Storage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
};

/** What {@link useAttention} returns. */
export interface Attention {
  /** The agents waiting for an answer, oldest request first. */
  waiting: AgentSummary[];
  /** The latest announcement for the ARIA live region ("demo is waiting for you: 1 request"). */
  announcement: string;
  /** Whether desktop notifications are on (opted in and allowed by the browser). */
  notify: boolean;
  /** Whether this browser can show desktop notifications at all. */
  canNotify: boolean;
  /** Turns desktop notifications on (asks the browser's permission) or off. */
  setNotify(on: boolean): void;
}

/**
 * Attention for agents waiting for a person: keeps the tab title at `(n) agent-stream` while `n`
 * requests wait, announces every agent whose count rose (for an ARIA live region), and, when the
 * user opted in (kept in `localStorage`) and the browser allows it, shows a desktop
 * notification for it while the page is hidden.
 *
 * ## Example
 * ```tsx
 * const { waiting, announcement, notify, setNotify } = useAttention(agents);
 * ```
 */
export function useAttention(agents: readonly AgentSummary[] | null): Attention {
  const canNotify = typeof Notification !== 'undefined';
  const [notify, setNotifyState] = useState(
    () => canNotify && storage()?.getItem(NOTIFY_KEY) === 'on' && Notification.permission === 'granted',
  );
  const [announcement, setAnnouncement] = useState('');
  const seen = useRef(new Map<string, number>());

  useEffect(() => {
    if (typeof document !== 'undefined') document.title = attentionTitle(agents);
  }, [agents]);

  useEffect(() => {
    if (!agents) return;
    const risen: AgentSummary[] = [];
    for (const a of agents) {
      const n = a.waiting ?? 0;
      if (n > (seen.current.get(a.id) ?? 0)) risen.push(a);
      seen.current.set(a.id, n);
    }
    if (risen.length === 0) return;
    const text = risen.map((a) => `${a.id} is waiting for you: ${a.waiting} ${a.waiting === 1 ? 'request' : 'requests'}`).join('. ');
    setAnnouncement(text);
    if (notify && canNotify && typeof document !== 'undefined' && document.hidden) {
      try {
        new Notification('agent-stream: waiting for you', { body: text, tag: 'agent-stream-waiting' });
      } catch {
        // a browser that refuses (e.g. no service worker on mobile): the title still tells
      }
    }
  }, [agents, notify, canNotify]);

  const setNotify = useCallback(
    (on: boolean) => {
      if (!on || !canNotify) {
        setNotifyState(false);
        storage()?.removeItem(NOTIFY_KEY);
        return;
      }
      void Promise.resolve(Notification.permission === 'granted' ? 'granted' : Notification.requestPermission()).then((p) => {
        const granted = p === 'granted';
        setNotifyState(granted);
        if (granted) storage()?.setItem(NOTIFY_KEY, 'on');
      });
    },
    [canNotify],
  );

  return { waiting: waitingAgentsOf(agents), announcement, notify, canNotify, setNotify };
}
