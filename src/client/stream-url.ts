const PLACEHOLDER_ORIGIN = 'http://agent-stream.invalid';

const pageUrl = (): string | undefined => {
  const loc = (globalThis as { location?: { href?: string } }).location;
  return typeof loc?.href === 'string' ? loc.href : undefined;
};

/**
 * Resolves `url` against `base` (itself resolved against the page URL in a browser), the way a
 * browser resolves a link. Relative results stay relative when there is no absolute base.
 */
export function resolveUrl(url: string, base?: string): string {
  const page = pageUrl();
  let absoluteBase = page;
  if (base !== undefined) {
    try {
      absoluteBase = new URL(base, page ?? PLACEHOLDER_ORIGIN).href;
    } catch {
      absoluteBase = page;
    }
  }
  try {
    const resolved = new URL(url, absoluteBase ?? PLACEHOLDER_ORIGIN);
    if (resolved.origin === PLACEHOLDER_ORIGIN) return resolved.pathname + resolved.search + resolved.hash;
    return resolved.href;
  } catch {
    return url;
  }
}

/** The stream URL with `ticket`, and `lastEventId` / `types` / `format` when given (each set once). */
export function buildStreamUrl(
  streamUrl: string,
  params: { ticket: string; lastEventId?: number | null; types?: readonly string[]; format?: string },
): string {
  const url = new URL(streamUrl, PLACEHOLDER_ORIGIN);
  url.searchParams.set('ticket', params.ticket);
  if (params.lastEventId !== undefined && params.lastEventId !== null) {
    url.searchParams.set('lastEventId', String(params.lastEventId));
  } else {
    url.searchParams.delete('lastEventId');
  }
  if (params.types && params.types.length > 0) url.searchParams.set('types', params.types.join(','));
  if (params.format !== undefined && params.format !== 'native') url.searchParams.set('format', params.format);
  // URLSearchParams encodes ',' as %2C; the server accepts both, the literal is easier to read.
  const search = url.search.replace(/%2C/gi, ',');
  if (url.origin === PLACEHOLDER_ORIGIN) return url.pathname + search + url.hash;
  return url.origin + url.pathname + search + url.hash;
}
