/**
 * Roles: the effective roles of a user with the path through role sets (`lsssorole -user`),
 * who can reach a URL by the business server's own matching rule — the resource, the roles
 * that grant it and the users holding one, a page at a time (`whocanaccess`) — and the roles,
 * role sets, sites and protected resources (`lsssorole`, `lsssoresource`); and small forms that
 * create, change and delete them (`mkssorole` … `rmssoresource`, src/management/
 * access-edit-commands.ts), whose result is the page's flash message. Many changes at once still
 * go through LDIF (Users → Import).
 */
import { html, type SafeHtml } from '../html.ts';
import {
  afterCommand,
  type CommandOutcome,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';
import { statusBadge } from './users.ts';

/** Users listed per page of "who can reach". */
export const REACH_USERS_PER_PAGE = 50;

const strings = (x: unknown): string[] =>
  Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
const str = (x: unknown): string =>
  typeof x === 'string' ? x : typeof x === 'number' ? String(x) : '';
const obj = (x: unknown): Record<string, unknown> =>
  typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {};
const list = (x: unknown): Record<string, unknown>[] => (Array.isArray(x) ? x.map(obj) : []);

/** A path through role sets: `Managers › Staff › Guest`. */
const path = (names: readonly string[]): string => names.join(' › ');

function failure(out: CommandOutcome): SafeHtml {
  return html`<p class="flash error" role="alert">${out.ok ? '' : out.message}</p>`;
}

function kindLabel(r: ConsoleRequest, kind: string): string {
  return kind === 'role'
    ? r.t('kindRole')
    : kind === 'roleSet'
      ? r.t('kindRoleSet')
      : r.t('kindUnknown');
}

function effectiveRoles(r: ConsoleRequest, uid: string, out: CommandOutcome): SafeHtml {
  if (!out.ok) return failure(out);
  const d = obj(out.data);
  const held = list(d['roles']);
  return html`<p role="status">
      ${r.t('listedRoles', { uid: str(d['uid']), roles: strings(d['listed']).join(', ') || '—' })}
    </p>
    <div class="table-wrap">
      <table>
        <caption class="sr-only">
          ${r.t('effectiveRolesOf', { uid })}
        </caption>
        <thead>
          <tr>
            <th scope="col">${r.t('roles')}</th>
            <th scope="col">${r.t('type')}</th>
            <th scope="col">${r.t('rolePath')}</th>
          </tr>
        </thead>
        <tbody>
          ${
            held.length === 0
              ? html`<tr>
                  <td colspan="3">${r.t('none')}</td>
                </tr>`
              : held.map(
                  (h) =>
                    html`<tr>
                      <td>${str(h['name'])}</td>
                      <td>${kindLabel(r, str(h['kind']))}</td>
                      <td>${path(strings(h['path']))}</td>
                    </tr>`,
                )
          }
        </tbody>
      </table>
    </div>`;
}

/** What the business server does with the URL, in the operator's language. */
function matchText(r: ConsoleRequest, m: Record<string, unknown>): string {
  const site = obj(m['site']);
  const where = `${str(site['host'])}:${str(site['port'])}`;
  switch (m['kind']) {
    case 'refused':
      return r.t('matchRefused', { reason: str(m['reason']) });
    case 'site_not_registered':
      return r.t('matchNoSite', { site: `${str(m['host'])}:${str(m['port'])}` });
    case 'not_covered':
      return r.t('matchNotCovered', { site: where, path: str(m['path']) });
    case 'resource': {
      const res = obj(m['resource']);
      return r.t('matchResource', {
        site: where,
        resource: str(res['path']),
        roles: strings(res['roles']).join(', ') || '—',
      });
    }
    default:
      return '';
  }
}

function whoCanReach(
  r: ConsoleRequest,
  url: string,
  cursor: string | undefined,
  out: CommandOutcome,
): SafeHtml {
  if (!out.ok) return failure(out);
  const d = obj(out.data);
  const users = list(d['users']);
  const next = typeof d['next_cursor'] === 'string' ? d['next_cursor'] : undefined;
  const link = (c?: string): string =>
    `/console/roles?${new URLSearchParams({ url, ...(c === undefined ? {} : { cursor: c }) }).toString()}#reach`;
  return html`<p role="status" class="match">${matchText(r, obj(d['match']))}</p>
    ${
      obj(d['match'])['kind'] === 'resource'
        ? html`<p>${r.t('grantedThrough')} ${strings(d['granting_roles']).join(', ') || '—'}</p>
            <div class="table-wrap">
              <table>
                <caption class="sr-only">
                  ${r.t('whoCanReach')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${r.t('uid')}</th>
                    <th scope="col">${r.t('status')}</th>
                    <th scope="col">${r.t('allowedNow')}</th>
                    <th scope="col">${r.t('rolePath')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${
                    users.length === 0
                      ? html`<tr>
                          <td colspan="4">${r.t('none')}</td>
                        </tr>`
                      : users.map(
                          (u) =>
                            html`<tr>
                              <td>
                                <a href="/console/user?uid=${encodeURIComponent(str(u['uid']))}"
                                  >${str(u['uid'])}</a
                                >
                              </td>
                              <td>${statusBadge(r, str(u['status']))}</td>
                              <td>${u['allowed_now'] === true ? r.t('yes') : r.t('no')}</td>
                              <td>${path(strings(u['via']))}</td>
                            </tr>`,
                        )
                  }
                </tbody>
              </table>
            </div>
            ${d['scan_limited'] === true ? html`<p role="status">${r.t('scanLimited', { n: str(d['users_examined']) })}</p>` : ''}
            <nav class="pager" aria-label="${r.t('pages')}">
              ${cursor === undefined ? '' : html`<a href="${link()}">${r.t('firstPage')}</a>`}${next === undefined ? '' : html`<a href="${link(next)}" rel="next">${r.t('nextPage')}</a>`}
            </nav>`
        : ''
    }`;
}

function roleTable(r: ConsoleRequest, out: CommandOutcome): SafeHtml {
  if (!out.ok) return failure(out);
  const roles = list(obj(out.data)['roles']);
  return html`<div class="table-wrap">
    <table>
      <caption class="sr-only">
        ${r.t('roles')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${r.t('name')}</th>
          <th scope="col">${r.t('type')}</th>
          <th scope="col">${r.t('members')}</th>
          <th scope="col">${r.t('effectiveRoles')}</th>
          <th scope="col">DN</th>
        </tr>
      </thead>
      <tbody>
        ${
          roles.length === 0
            ? html`<tr>
                <td colspan="5">${r.t('none')}</td>
              </tr>`
            : roles.map((x) => {
                const unknown = strings(x['unknown_members']);
                return html`<tr>
                  <td>${str(x['name'])}</td>
                  <td>${kindLabel(r, str(x['kind']))}</td>
                  <td>
                    ${strings(x['members']).join(', ')}
                    ${unknown.length === 0 ? '' : html`<span class="badge bad">${r.t('unknownMembers', { names: unknown.join(', ') })}</span>`}
                    ${x['cyclic'] === true ? html`<span class="badge bad">${r.t('cyclic')}</span>` : ''}
                  </td>
                  <td>${strings(x['effective_roles']).join(', ')}</td>
                  <td>${str(x['dn'])}</td>
                </tr>`;
              })
        }
      </tbody>
    </table>
  </div>`;
}

function resourceTable(r: ConsoleRequest, out: CommandOutcome): SafeHtml {
  if (!out.ok) return failure(out);
  const rows = list(obj(out.data)['sites']).flatMap((s) => {
    const site = `${str(s['host'])}:${str(s['port'])}`;
    const resources = list(s['resources']);
    return resources.length === 0
      ? [{ site, path: '', roles: '', dn: str(s['dn']) }]
      : resources.map((x) => ({
          site,
          path: str(x['path']),
          roles: strings(x['roles']).join(', '),
          dn: str(x['dn']),
        }));
  });
  return html`<div class="table-wrap">
    <table>
      <caption class="sr-only">
        ${r.t('resources')}
      </caption>
      <thead>
        <tr>
          <th scope="col">${r.t('sites')}</th>
          <th scope="col">${r.t('resourcePath')}</th>
          <th scope="col">${r.t('roles')}</th>
          <th scope="col">DN</th>
        </tr>
      </thead>
      <tbody>
        ${
          rows.length === 0
            ? html`<tr>
                <td colspan="4">${r.t('none')}</td>
              </tr>`
            : rows.map(
                (x) =>
                  html`<tr>
                    <td>${x.site}</td>
                    <td>${x.path}</td>
                    <td>${x.roles}</td>
                    <td>${x.dn}</td>
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
  const cursorText = r.query('cursor');
  const cursor = cursorText === undefined || cursorText === '' ? undefined : cursorText;
  const [roles, resources] = await Promise.all([
    r.run('lsssorole', {}),
    r.run('lsssoresource', {}),
  ]);
  const held = uid === '' ? undefined : await r.run('lsssorole', { user: uid });
  const reach =
    url === ''
      ? undefined
      : await r.run('whocanaccess', {
          object: url,
          limit: String(REACH_USERS_PER_PAGE),
          cursor,
        });
  const refused = [held, reach].some((o) => o !== undefined && !o.ok && o.code === 'USAGE');
  return {
    kind: 'page',
    section: 'roles',
    title: r.t('rolesTitle'),
    ...(refused ? { status: 400 } : {}),
    body: html`<h2 id="effective">${r.t('effectiveRoles')}</h2>
      <form method="get" action="/console/roles#effective" class="row">
        <label for="r-uid">${r.t('uid')}<input id="r-uid" name="uid" value="${uid}" /></label
        ><button type="submit">${r.t('show')}</button>
      </form>
      ${held === undefined ? '' : effectiveRoles(r, uid, held)}
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
      ${reach === undefined ? '' : whoCanReach(r, url, cursor, reach)}
      <h2>${r.t('rolesAndSets')}</h2>
      ${roleTable(r, roles)}
      <h2>${r.t('resources')}</h2>
      ${resourceTable(r, resources)} ${editForms(r)}
      <p>${r.t('rolesHintLdif')} <a href="/console/users/import">${r.t('importLdif')}</a></p>`,
  };
}

/** One field of an edit form. */
function field(id: string, name: string, label: string, extra = ''): SafeHtml {
  return html`<label for="${id}"
    >${label}<input id="${id}" name="${name}" autocomplete="off" placeholder="${extra}"
  /></label>`;
}

function opButton(op: string, label: string, danger = false): SafeHtml {
  return html`<button type="submit" name="op" value="${op}" class="${danger ? 'danger' : ''}">
    ${label}
  </button>`;
}

/** The forms that change roles, role sets, sites and resources (POST /console/roles/edit). */
function editForms(r: ConsoleRequest): SafeHtml {
  const csrf = html`<input type="hidden" name="csrf" value="${r.csrf}" />`;
  const form = (body: SafeHtml): SafeHtml =>
    html`<form method="post" action="/console/roles/edit" class="row">${csrf}${body}</form>`;
  return html`<h2 id="edit">${r.t('accessEdit')}</h2>
    <p>${r.t('accessEditHint')}</p>
    ${form(
      html`${field('e-role', 'name', r.t('roleName'))}${opButton('mkrole', r.t('createRole'))}${opButton('rmrole', r.t('deleteRole'), true)}`,
    )}
    ${form(
      html`${field('e-set', 'name', r.t('roleSetName'))}${field('e-members', 'members', r.t('membersList'), 'staff,auditor')}${opButton('mkset', r.t('createRoleSet'))}${opButton('chset', r.t('changeRoleSet'))}${opButton('rmset', r.t('deleteRoleSet'), true)}`,
    )}
    ${form(
      html`${field('e-host', 'host', r.t('siteHost'), 'app.example.com')}${field('e-port', 'port', r.t('port'), '443')}${opButton('mksite', r.t('createSite'))}${opButton('rmsite', r.t('deleteSite'), true)}`,
    )}
    ${form(
      html`${field('e-url', 'url', r.t('resourceUrl'), 'https://app.example.com/admin/')}${field('e-roles', 'roles', r.t('rolesList'), 'staff')}${opButton('mkres', r.t('createResource'))}${opButton('chres', r.t('changeResource'))}${opButton('rmres', r.t('deleteResource'), true)}`,
    )}`;
}

/** The command and parameters of an edit form's operation, or undefined for an unknown one. */
function editCommand(
  r: ConsoleRequest,
): { command: string; params: Record<string, string | undefined> } | undefined {
  const get = (k: string): string | undefined => {
    const v = r.form.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const name = get('name') ?? '';
  const url = get('url') ?? '';
  const port = get('port');
  switch (r.form.get('op') ?? '') {
    case 'mkrole':
      return { command: 'mkssorole', params: { object: name } };
    case 'rmrole':
      return { command: 'rmssorole', params: { object: name } };
    case 'mkset':
      return { command: 'mkssoroleset', params: { object: name, members: get('members') } };
    case 'chset':
      return { command: 'chssoroleset', params: { object: name, members: get('members') } };
    case 'rmset':
      return { command: 'rmssoroleset', params: { object: name } };
    case 'mksite':
      return { command: 'mkssosite', params: { object: get('host') ?? '', port } };
    case 'rmsite': {
      const host = get('host') ?? '';
      return {
        command: 'rmssosite',
        params: { object: port === undefined ? host : `${host}:${port}` },
      };
    }
    case 'mkres':
      return { command: 'mkssoresource', params: { object: url, roles: get('roles') } };
    case 'chres':
      return { command: 'chssoresource', params: { object: url, roles: get('roles') } };
    case 'rmres':
      return { command: 'rmssoresource', params: { object: url } };
    default:
      return undefined;
  }
}

export function roleRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'roles', handle: page },
    {
      method: 'POST',
      path: 'roles/edit',
      form: {
        fields: { op: 16, name: 256, members: 4096, host: 512, port: 16, url: 4096, roles: 4096 },
        maxBytes: 16 * 1024,
      },
      handle: async (r) => {
        const c = editCommand(r);
        if (c === undefined) {
          return {
            kind: 'redirect',
            to: '/console/roles#edit',
            flash: { kind: 'error', text: r.t('badRequest') },
          };
        }
        const out = await r.run(c.command, c.params);
        const lines = out.ok && out.result.output.kind === 'message' ? out.result.output.lines : [];
        return afterCommand(
          out,
          '/console/roles#edit',
          r.t('accessChanged', { detail: lines.join(' ') }),
        );
      },
    },
  ];
}
