// The dashboard's sign-in from the printed link `#token=…` (issue 25, finding 7): the token leaves
// the address bar before anything is sent, and goes in a POST body, never in a URL.
import { signInFromFragment } from '../../src/dashboard/sign-in-from-fragment';

function page(hash: string, answer: () => Promise<Response>) {
  const replaced: string[] = [];
  const sent: { url: string; init?: RequestInit; addressBar: string[] }[] = [];
  const fetch = async (url: string, init?: RequestInit) => {
    sent.push({ url, init, addressBar: [...replaced] });
    return answer();
  };
  const options = {
    location: { hash, pathname: '/', search: '?agent=a1' },
    history: { replaceState: (_s: unknown, _t: string, url?: string | URL | null) => void replaced.push(String(url)) },
    baseUrl: '',
    fetch,
    timeoutMs: 500,
  };
  return { options, replaced, sent };
}

describe('signInFromFragment', () => {
  it('drops the token from the address bar first, then posts it as JSON to /login', async () => {
    const p = page('#token=abc-0123456789abcdef&x=1', async () => new Response('{}', { status: 200 }));
    expect(await signInFromFragment(p.options)).toBe('signed-in');
    expect(p.replaced).toEqual(['/?agent=a1#x=1']);
    expect(p.sent).toHaveLength(1);
    expect(p.sent[0]!.url).toBe('/login');
    expect(p.sent[0]!.addressBar).toEqual(['/?agent=a1#x=1']); // already gone when the request left
    expect(p.sent[0]!.init).toMatchObject({
      method: 'POST',
      credentials: 'same-origin',
      body: JSON.stringify({ token: 'abc-0123456789abcdef' }),
    });
  });

  it("'none' without a token (nothing sent, nothing replaced); 'refused' on 401/429; 'failed' on anything else", async () => {
    const none = page('#agent=a1', async () => new Response('{}'));
    expect(await signInFromFragment(none.options)).toBe('none');
    expect([none.sent, none.replaced]).toEqual([[], []]);
    expect(await signInFromFragment(page('#token=wrong', async () => new Response('{}', { status: 401 })).options)).toBe('refused');
    expect(await signInFromFragment(page('#token=t', async () => new Response('{}', { status: 429 })).options)).toBe('refused');
    expect(await signInFromFragment(page('#token=t', async () => new Response('{}', { status: 500 })).options)).toBe('failed');
    expect(await signInFromFragment(page('#token=t', () => Promise.reject(new TypeError('offline'))).options)).toBe('failed');
  });

  it('gives up after timeoutMs when the server never answers (the page then mounts signed out)', async () => {
    const hang = page('#token=t', () => new Promise<Response>(() => undefined));
    // A fetch that honours the abort signal, as the browser's does.
    hang.options.fetch = (_url: string, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const t0 = Date.now();
    expect(await signInFromFragment(hang.options)).toBe('failed');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
  });
});
