/**
 * Access logs: the viewer with filters over the four access logs and its charts belong to the
 * access-log query module (built on another branch). Until it is merged, the page lists the
 * log files only.
 */
import { html } from '../html.ts';
import type { ConsoleRequest, ConsoleResponse, ConsoleRoute } from '../page.ts';

// Filled by the access-log query module (other branch)
function accessLogView(r: ConsoleRequest): Promise<ConsoleResponse> {
  return Promise.resolve({
    kind: 'page',
    section: 'logs',
    title: r.t('logsTitle'),
    body: html`<p>${r.t('logsPlaceholder')}</p>
      <ul>
        <li>repository</li>
        <li>authentication</li>
        <li>business</li>
        <li>session</li>
      </ul>`,
  });
}

export function logRoutes(): ConsoleRoute[] {
  return [{ method: 'GET', path: 'logs', handle: accessLogView }];
}
