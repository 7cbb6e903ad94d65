/**
 * Which protected resource a URL falls under, by the business server's rules — the one
 * implementation that both the business server's decision (src/sso/servers/business-server.ts)
 * and the administrator's "who can reach this path" (`whocanaccess`) use, so that the answer
 * to the question is the answer the server gives:
 *
 * 1. the URL is canonicalized (canonical-url.ts): spellings that servers may read differently
 *    are refused, never normalized;
 * 2. the site is the registered one of the URL's host and port;
 * 3. the resource is the site's longest `cn` prefix of the path, compared case-insensitively,
 *    the path matched as if it ended with `/` (`/admin` is the directory `/admin/` protects).
 */
import { findResource, type SsoResource, type SsoSite } from './access-control.ts';
import { canonicalUrl, type UrlRefusal } from './canonical-url.ts';

export type ResourceMatch =
  /** The URL is refused before any site is looked at. */
  | { readonly kind: 'refused'; readonly reason: UrlRefusal }
  /** No registered site has the URL's host and port. */
  | {
      readonly kind: 'site_not_registered';
      readonly host: string;
      readonly port: number;
      readonly path: string;
    }
  /** The site is registered, but no resource of it covers the path. */
  | { readonly kind: 'not_covered'; readonly site: SsoSite; readonly path: string }
  | {
      readonly kind: 'resource';
      readonly site: SsoSite;
      readonly resource: SsoResource;
      /** The canonical (decoded) path. */
      readonly path: string;
    };

/**
 * The resource `url` falls under. `resourcesOf` gives a site's resources (the business server
 * reads them from its snapshot, the management command from the repository). O(sites +
 * resources of the site) after canonicalization.
 */
export function matchResource(
  url: string,
  sites: readonly SsoSite[],
  resourcesOf: (site: SsoSite) => readonly SsoResource[],
): ResourceMatch {
  const u = canonicalUrl(url);
  if (!u.ok) return { kind: 'refused', reason: u.reason };
  const site = sites.find((s) => s.host === u.host && s.port === u.port);
  if (site === undefined) {
    return { kind: 'site_not_registered', host: u.host, port: u.port, path: u.path };
  }
  // `/admin` names the directory `/admin/` protects: match as if it ended with a slash (this
  // can only find a longer prefix, never lose one).
  const matched = u.path.endsWith('/') ? u.path : u.path + '/';
  const resource = findResource(resourcesOf(site), matched);
  if (resource === undefined) return { kind: 'not_covered', site, path: u.path };
  return { kind: 'resource', site, resource, path: u.path };
}
