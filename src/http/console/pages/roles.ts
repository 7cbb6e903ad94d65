/**
 * Roles: roles, role sets, sites and protected resources; the effective roles of a user; who
 * can reach a path. Command: lsssoaccess. (Roles are changed through LDIF: Users → Import.)
 */
import { html, type SafeHtml } from '../html.ts';
import {
  rowsOf,
  type CommandOutcome,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

function table(r: ConsoleRequest, out: CommandOutcome, caption: string): SafeHtml {
  if (!out.ok) return html`<p class="flash error" role="alert">${out.message}</p>`;
  const o = out.result.output;
  const messages = out.result.messages ?? [];
  if (o.kind !== 'table') return html``;
  return html`${messages.map((m) => html`<p role="status">${m}</p>`)}
    <div class="table-wrap">
      <table>
        <caption class="sr-only">
          ${caption}
        </caption>
        <thead>
          <tr>
            ${o.headers.map((h) => html`<th scope="col">${h}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${
            o.rows.length === 0
              ? html`<tr>
                  <td colspan="${o.headers.length}">${r.t('none')}</td>
                </tr>`
              : o.rows.map(
                  (row) =>
                    html`<tr>
                      ${row.map((c) => html`<td>${c === undefined ? '' : String(c)}</td>`)}
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>`;
}

async function page(r: ConsoleRequest): Promise<ConsoleResponse> {
  const uid = (r.query('uid') ?? '').trim();
  const url = (r.query('url') ?? '').trim();
  const all = await r.run('lsssoaccess', {});
  const kinds = ['role', 'role_set', 'site', 'resource'] as const;
  const rows = rowsOf(all);
  return {
    kind: 'page',
    section: 'roles',
    title: r.t('rolesTitle'),
    body: html`<h2 id="effective">${r.t('effectiveRoles')}</h2>
      <form method="get" action="/console/roles#effective" class="row">
        <label for="r-uid">${r.t('uid')}<input id="r-uid" name="uid" value="${uid}" /></label
        ><button type="submit">${r.t('show')}</button>
      </form>
      ${uid === '' ? '' : table(r, await r.run('lsssoaccess', { uid }), r.t('effectiveRoles'))}
      <h2 id="reach">${r.t('whoCanReach')}</h2>
      <form method="get" action="/console/roles#reach" class="row">
        <label for="r-url"
          >URL<input
            id="r-url"
            name="url"
            type="url"
            value="${url}"
            placeholder="https://app.example.com/path" /></label
        ><button type="submit">${r.t('show')}</button>
      </form>
      ${url === '' ? '' : table(r, await r.run('lsssoaccess', { url }), r.t('whoCanReach'))}
      ${kinds.map((k) => {
        const of = rows.filter((x) => x['kind'] === k);
        return html`<h2>
            ${r.t(k === 'role' ? 'roles' : k === 'role_set' ? 'roleSets' : k === 'site' ? 'sites' : 'resources')}
          </h2>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">${r.t('name')}</th>
                  <th scope="col">DN</th>
                  <th scope="col">${r.t('attrRoles')}</th>
                </tr>
              </thead>
              <tbody>
                ${
                  of.length === 0
                    ? html`<tr>
                        <td colspan="3">${r.t('none')}</td>
                      </tr>`
                    : of.map(
                        (x) =>
                          html`<tr>
                            <td>${x['name']}</td>
                            <td>${x['dn']}</td>
                            <td>${x['roles']}</td>
                          </tr>`,
                      )
                }
              </tbody>
            </table>
          </div>`;
      })}
      <p>${r.t('rolesHintLdif')} <a href="/console/users/import">${r.t('importLdif')}</a></p>`,
  };
}

export function roleRoutes(): ConsoleRoute[] {
  return [{ method: 'GET', path: 'roles', handle: page }];
}
