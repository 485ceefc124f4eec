// Walks an OData collection: follows @odata.nextLink when the server sends one, otherwise pages with $skip in
// steps of the backend's page size until a short page. Ids already seen are skipped, because $skip paging over a
// list that changes underneath (newest first) can repeat an item across pages.
import { AppError } from '../errors';

export interface ODataPage<W> {
  value?: W[];
  '@odata.nextLink'?: string;
}

export interface PageRequest {
  path: string;
  params?: Record<string, string | number | undefined>;
}

export interface PaginateOptions<W> {
  path: string;
  params: Record<string, string | number | undefined>;
  pageSize: number;
  /** The client's base URL: a nextLink must point under it (the bearer token must never go to another host). */
  baseURL: string;
  fetchPage: (req: PageRequest) => Promise<ODataPage<W>>;
  idOf: (item: W) => string;
}

/** @throws {AppError} DEFENDER_HTTP when a nextLink points outside the API's base URL. */
export function nextLinkToPath(nextLink: string, baseURL: string): string {
  const base = new URL(baseURL.endsWith('/') ? baseURL : `${baseURL}/`);
  let next: URL;
  try {
    next = new URL(nextLink, base);
  } catch {
    throw new AppError('DEFENDER_HTTP', 'The API returned an @odata.nextLink that is not a URL');
  }
  const basePath = base.pathname.replace(/\/$/, '');
  if (next.origin !== base.origin || !(next.pathname === basePath || next.pathname.startsWith(`${basePath}/`))) {
    throw new AppError('DEFENDER_HTTP', `Refusing to follow an @odata.nextLink outside ${base.origin}${basePath}`);
  }
  return `${next.pathname.slice(basePath.length)}${next.search}`;
}

export async function* paginate<W>(options: PaginateOptions<W>): AsyncGenerator<W> {
  const { pageSize, fetchPage, idOf } = options;
  const seen = new Set<string>();
  let request: PageRequest = { path: options.path, params: { ...options.params, $top: pageSize } };
  let skip = 0;
  let followedLinks = false;
  const visitedLinks = new Set<string>();
  for (;;) {
    const page = await fetchPage(request);
    const items = Array.isArray(page.value) ? page.value : [];
    for (const item of items) {
      const id = idOf(item);
      if (seen.has(id)) continue;
      seen.add(id);
      yield item;
    }
    const nextLink = page['@odata.nextLink'];
    if (typeof nextLink === 'string' && nextLink !== '') {
      const path = nextLinkToPath(nextLink, options.baseURL);
      if (visitedLinks.has(path))
        throw new AppError('DEFENDER_HTTP', 'The API returned the same @odata.nextLink twice');
      visitedLinks.add(path);
      followedLinks = true;
      request = { path };
      continue;
    }
    // Once the server pages with links, the absence of a link is its "last page".
    if (followedLinks || items.length < pageSize) return;
    skip += items.length;
    request = { path: options.path, params: { ...options.params, $top: pageSize, $skip: skip } };
  }
}
