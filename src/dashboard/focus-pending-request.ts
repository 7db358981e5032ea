/** How long to wait for the agent's stream to show its pending request, ms. */
const FOCUS_WITHIN_MS = 5000;

/**
 * Once the page shows agent `agentId`'s oldest pending request, scrolls it into view and focuses
 * it: the first enabled control of its card (permission buttons, the question's first option),
 * else its log row. Looks once per animation frame for at most 5 s (the stream may still be
 * loading), then gives up quietly.
 *
 * ## Example
 * ```ts
 * select('a1');
 * focusPendingRequest('a1');
 * ```
 */
export function focusPendingRequest(agentId: string): void {
  const until = Date.now() + FOCUS_WITHIN_MS;
  const look = () => {
    const root = [...document.querySelectorAll<HTMLElement>('[data-testid=agent-stream]')].find(
      (el) => el.getAttribute('data-stream-agent-id') === agentId,
    );
    const row = root?.querySelector<HTMLElement>('li[data-request-state=asked]');
    if (root && row) {
      const id = row.getAttribute('data-request-id');
      const card = [...root.querySelectorAll<HTMLElement>('.as-act [data-request-id]')].find(
        (c) => c.getAttribute('data-request-id') === id,
      );
      const control = card?.querySelector<HTMLElement>('button:not(:disabled), input:not(:disabled)');
      row.scrollIntoView({ block: 'nearest' });
      if (control) {
        card!.scrollIntoView({ block: 'nearest' });
        control.focus();
      } else {
        row.tabIndex = -1;
        row.focus();
      }
      return;
    }
    if (Date.now() < until) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}
