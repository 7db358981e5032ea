// A stand-in `window` and `document` for the wake events (`online`, `visibilitychange`) in Node:
// plain EventTargets that count their listeners, installed on globalThis and removed again.

class CountingTarget extends EventTarget {
  listeners = 0;
  override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    this.listeners++;
    super.addEventListener(...args);
  }
  override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
    this.listeners--;
    super.removeEventListener(...args);
  }
}

export interface BrowserGlobals {
  readonly window: CountingTarget;
  readonly document: CountingTarget & { visibilityState: 'visible' | 'hidden' };
  /** Fires `online` on window. */
  online(): void;
  /** Sets `visibilityState` and fires `visibilitychange` on document. */
  setVisibility(state: 'visible' | 'hidden'): void;
  uninstall(): void;
}

export function installBrowserGlobals(): BrowserGlobals {
  const g = globalThis as Record<string, unknown>;
  const win = new CountingTarget();
  const doc = Object.assign(new CountingTarget(), { visibilityState: 'hidden' as 'visible' | 'hidden' });
  g.window = win;
  g.document = doc;
  return {
    window: win,
    document: doc,
    online: () => win.dispatchEvent(new Event('online')),
    setVisibility: (state) => {
      doc.visibilityState = state;
      doc.dispatchEvent(new Event('visibilitychange'));
    },
    uninstall: () => {
      delete g.window;
      delete g.document;
    },
  };
}

/**
 * Fake timers for every test of the file, and browser globals on demand: `browser()` installs
 * them for the current test; they are uninstalled after it.
 */
export function fakeBrowserPerTest(): { browser(): BrowserGlobals } {
  let installed: BrowserGlobals | null = null;
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    installed?.uninstall();
    installed = null;
    jest.useRealTimers();
  });
  return {
    browser() {
      installed ??= installBrowserGlobals();
      return installed;
    },
  };
}
