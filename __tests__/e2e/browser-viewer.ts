// Helpers of the dashboard e2e tests: launch the system Chromium (playwright-core, fresh profile)
// and open dashboard pages that record every ticket request and every stream request they make.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/**
 * Launches headless Chromium. playwright-core's `launch` starts it with a fresh temporary
 * `--user-data-dir` (`playwright_chromiumdev_profile-*`) that it deletes on close, so every run
 * starts from an empty profile. Throws, never skips, when the binary is missing (CI or not): a
 * run without a browser proves nothing.
 */
export async function launchTestBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM} (CI=${process.env.CI ?? 'unset'}): apt-get install -y chromium, or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A stream request a page made: the ticket it presented and the `lastEventId` it resumed from. */
export interface StreamRequest {
  ticket: string | null;
  lastEventId: string | null;
  status?: number;
}

/** A dashboard page and what it asked the server for. */
export interface Viewer {
  page: Page;
  /** Ticket POSTs made (counted when the request is sent). */
  ticketRequests: () => number;
  /** The tickets the server issued to this page, in order (read from the 201 bodies). */
  issuedTickets: () => Promise<string[]>;
  streams: StreamRequest[];
  pageErrors: string[];
  /** The ids the page reports it received (`data-received-seqs`). */
  receivedSeqs: () => Promise<number[]>;
  lastSeq: () => Promise<number>;
}

/** Opens `url` in a new page of `context` and records its ticket and stream requests for `agentId`. */
export async function openViewer(context: BrowserContext, url: string, agentId = 'demo'): Promise<Viewer> {
  const page = await context.newPage();
  const ticketPath = `/agents/${agentId}/stream-ticket`;
  const streamPath = `/agents/${agentId}/stream`;
  let ticketRequests = 0;
  const issued: Array<Promise<string>> = [];
  const streams: StreamRequest[] = [];
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (u.pathname === ticketPath && req.method() === 'POST') ticketRequests++;
    if (u.pathname === streamPath) streams.push({ ticket: u.searchParams.get('ticket'), lastEventId: u.searchParams.get('lastEventId') });
  });
  page.on('response', (res) => {
    const u = new URL(res.url());
    if (u.pathname === ticketPath && res.request().method() === 'POST') {
      issued.push(
        res.json().then(
          (b: { ticket?: string }) => String(b.ticket),
          (e: unknown) => `unreadable: ${String(e)}`,
        ),
      );
    }
    if (u.pathname === streamPath) {
      const s = streams.find((x) => x.ticket === u.searchParams.get('ticket') && x.status === undefined);
      if (s) s.status = res.status();
    }
  });
  const root = page.locator('[data-testid=agent-stream]');
  await page.goto(url);
  return {
    page,
    ticketRequests: () => ticketRequests,
    issuedTickets: () => Promise.all(issued),
    streams,
    pageErrors,
    async receivedSeqs() {
      const raw = (await root.getAttribute('data-received-seqs')) ?? '';
      return raw === '' ? [] : raw.split(',').map(Number);
    },
    async lastSeq() {
      return Number((await root.getAttribute('data-last-seq')) || 0);
    },
  };
}

/** Waits until the page's last received id is at least `seq`. */
export async function waitForSeq(viewer: Viewer, seq: number, timeout: number): Promise<void> {
  await viewer.page.waitForFunction(
    (min) => Number(document.querySelector('[data-testid=agent-stream]')?.getAttribute('data-last-seq') || 0) >= min,
    seq,
    { timeout, polling: 50 },
  );
}

/** 1..n */
export const range1 = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

export { waitUntil } from '../helpers/wait-until';
