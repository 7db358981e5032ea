/** Why {@link watchWakeEvents} called back: the browser came back online, or the page became visible. */
export type WakeReason = 'online' | 'visible';

interface ListenerTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

const targetOf = (name: 'window' | 'document'): ListenerTarget | null => {
  const target = (globalThis as Record<string, unknown>)[name] as Partial<ListenerTarget> | null | undefined;
  return target && typeof target.addEventListener === 'function' && typeof target.removeEventListener === 'function'
    ? (target as ListenerTarget)
    : null;
};

/**
 * Calls `onWake` when a retry is worth trying at once: `online` on `window`, and
 * `visibilitychange` on `document` when the page becomes visible (`visibilityState` `visible`,
 * or `hidden` false). Returns a function that removes the listeners (idempotent). Where there is
 * no `window` / `document` (Node, a worker) it listens to nothing and returns a no-op. Callers
 * debounce: `online` and `visibilitychange` often fire together.
 *
 * ## Example
 * ```ts
 * const unwatch = watchWakeEvents((reason) => retryNow(reason));
 * // later: unwatch();
 * ```
 */
export function watchWakeEvents(onWake: (reason: WakeReason) => void): () => void {
  const win = targetOf('window');
  const doc = targetOf('document');
  if (!win && !doc) return () => {};
  const onOnline = () => onWake('online');
  const onVisibility = () => {
    const d = (globalThis as { document?: { visibilityState?: string; hidden?: boolean } }).document;
    const visible = typeof d?.visibilityState === 'string' ? d.visibilityState === 'visible' : d?.hidden !== true;
    if (visible) onWake('visible');
  };
  win?.addEventListener('online', onOnline);
  doc?.addEventListener('visibilitychange', onVisibility);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    win?.removeEventListener('online', onOnline);
    doc?.removeEventListener('visibilitychange', onVisibility);
  };
}
