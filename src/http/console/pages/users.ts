/**
 * Users: search by uid/cn prefix a page at a time (the repository's cursor, never the whole
 * population), create, edit every ssoUser attribute, lock state and its release, delete, and
 * LDIF import/export. Commands: lsssouser, mkssouser, chssouser, rmssouser, import-ldif,
 * export-ldif.
 */
import { SSO_AUTH_TYPES } from '../../../sso/core/user.ts';
import { formatDateTime, parseLocalDateTime, toLocalDateTime } from '../format.ts';
import { dataTable } from '../table.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import type { TextId } from '../i18n.ts';
import {
  afterCommand,
  pairsOf,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

/** Users per page of the list. */
export const USERS_PER_PAGE = 50;

const ATTRIBUTE_FIELDS = {
  cn: 256,
  sn: 256,
  mail: 256,
  employeenumber: 256,
  serialnumber: 256,
  dnqualifier: 256,
  authtype: 64,
  notbefore: 32,
  notafter: 32,
  credentialttl: 16,
  role: 4096,
  password: 1024,
} as const;

interface UserRow {
  readonly uid: string;
  readonly cn: string;
  readonly status: string;
  readonly failure_count: string;
  readonly roles: string;
  readonly dn: string;
}

function isUserRow(x: unknown): x is UserRow {
  return typeof x === 'object' && x !== null && typeof (x as { uid?: unknown }).uid === 'string';
}

export function statusBadge(r: ConsoleRequest, status: string): SafeHtml {
  return status === 'locked'
    ? html`<span class="badge locked">${r.t('statusLocked')}</span>`
    : html`<span class="badge good">${r.t('statusGood')}</span>`;
}

const userUrl = (uid: string): string => `/console/user?uid=${encodeURIComponent(uid)}`;

function hidden(name: string, value: string): SafeHtml {
  return html`<input type="hidden" name="${name}" value="${value}" />`;
}

/** A labelled input of the user form. */
function field(
  r: ConsoleRequest,
  name: string,
  label: TextId,
  value: string,
  o: { type?: string; hint?: string; required?: boolean; autocomplete?: string } = {},
): SafeHtml {
  return html`<label for="f-${name}"
      >${r.t(label)}${o.hint === undefined ? '' : html` <span class="hint">${o.hint}</span>`}</label
    ><input
      id="f-${name}"
      name="${name}"
      type="${o.type ?? 'text'}"
      value="${value}"
      ${o.required === true ? html` required` : ''}${o.autocomplete === undefined ? '' : html` autocomplete="${o.autocomplete}"`}
    />`;
}

function authTypeSelect(r: ConsoleRequest, current: string): SafeHtml {
  return html`<label for="f-authtype">${r.t('authType')}</label
    ><select id="f-authtype" name="authtype">
      ${SSO_AUTH_TYPES.map(
        (a) => html`<option value="${a}" ${a === current ? html` selected` : ''}>${a}</option>`,
      )}
    </select>`;
}

/** The attribute inputs, shared by the create and edit forms. */
function attributeInputs(
  r: ConsoleRequest,
  v: ReadonlyMap<string, string>,
  creating: boolean,
): HtmlValue {
  const date = (name: string): string => {
    const g = v.get(name) ?? '';
    return g === '' ? '' : toLocalDateTime(parseGeneralized(g), r.tz);
  };
  return [
    field(r, 'cn', 'attrCn', v.get('cn') ?? ''),
    field(r, 'sn', 'attrSn', v.get('sn') ?? ''),
    field(r, 'mail', 'attrMail', v.get('mail') ?? '', { type: 'email', autocomplete: 'off' }),
    field(r, 'employeenumber', 'attrEmployeeNumber', v.get('employee_number') ?? ''),
    field(r, 'serialnumber', 'attrSerialNumber', v.get('serial_number') ?? ''),
    field(r, 'dnqualifier', 'attrDnQualifier', v.get('dn_qualifier') ?? ''),
    authTypeSelect(r, v.get('auth_type') ?? 'basicAuthOrCertAuth'),
    field(r, 'notbefore', 'attrNotBefore', date('not_before'), {
      type: 'datetime-local',
      hint: r.tz,
    }),
    field(r, 'notafter', 'attrNotAfter', date('not_after'), { type: 'datetime-local', hint: r.tz }),
    field(r, 'credentialttl', 'attrCredentialTtl', v.get('credential_ttl') ?? '', {
      type: 'number',
      hint: r.t('credentialTtlHint'),
    }),
    field(r, 'role', 'attrRoles', v.get('roles') ?? '', { hint: r.t('rolesHint') }),
    field(r, 'password', creating ? 'attrPassword' : 'attrNewPassword', '', {
      type: 'password',
      autocomplete: 'new-password',
      ...(creating ? {} : { hint: r.t('passwordKeep') }),
    }),
  ];
}

function parseGeneralized(g: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(g);
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function generalized(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

/** The command parameters of the user form; an error text for a date that does not parse. */
function formParams(
  r: ConsoleRequest,
  creating: boolean,
): { params: Record<string, string | undefined> } | { error: string } {
  const params: Record<string, string | undefined> = {};
  for (const name of [
    'cn',
    'sn',
    'mail',
    'employeenumber',
    'serialnumber',
    'dnqualifier',
    'authtype',
    'credentialttl',
    'role',
  ]) {
    const v = (r.form.get(name) ?? '').trim();
    params[name] = creating && v === '' ? undefined : v;
  }
  for (const name of ['notbefore', 'notafter']) {
    const v = (r.form.get(name) ?? '').trim();
    if (v === '') {
      params[name] = creating ? undefined : '';
      continue;
    }
    const d = parseLocalDateTime(v, r.tz);
    if (d === undefined) return { error: r.t('badDate', { value: v }) };
    params[name] = generalized(d);
  }
  const password = r.form.get('password') ?? '';
  params['password'] = password === '' ? undefined : password;
  return { params };
}

async function listPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const q = (r.query('q') ?? '').trim();
  const cursor = r.query('cursor');
  const out = await r.run('lsssouser', {
    prefix: q === '' ? undefined : q,
    count: String(USERS_PER_PAGE),
    cursor: cursor === '' ? undefined : cursor,
  });
  const data = out.ok ? (out.data as { users?: unknown; next_cursor?: unknown }) : {};
  const users = Array.isArray(data.users) ? data.users.filter(isUserRow) : [];
  const next = typeof data.next_cursor === 'string' ? data.next_cursor : undefined;
  const qs = (c: string | undefined): string => {
    const p = new URLSearchParams();
    if (q !== '') p.set('q', q);
    if (c !== undefined) p.set('cursor', c);
    const s = p.toString();
    return `/console/users${s === '' ? '' : `?${s}`}`;
  };
  return {
    kind: 'page',
    section: 'users',
    title: r.t('usersTitle'),
    body: html`${out.ok ? '' : html`<p class="flash error" role="alert">${out.message}</p>`}
      <form method="get" action="/console/users" class="row" role="search">
        <label for="q"
          >${r.t('searchPrefix')}<input id="q" name="q" value="${q}" type="search"
        /></label>
        <button type="submit">${r.t('search')}</button>
      </form>
      <div class="actions">
        <a href="/console/users/new">${r.t('createUser')}</a
        ><a href="/console/users/import">${r.t('importLdif')}</a
        ><a href="/console/users/export">${r.t('exportLdif')}</a>
      </div>
      ${dataTable({
        caption: r.t('usersTitle'),
        headers: [r.t('uid'), r.t('attrCn'), r.t('status'), r.t('failureCount'), r.t('attrRoles')],
        rows: users.map(
          (u) =>
            html`<tr>
              <td><a href="${userUrl(u.uid)}">${u.uid}</a></td>
              <td>${u.cn}</td>
              <td>${statusBadge(r, u.status)}</td>
              <td class="num">${u.failure_count}</td>
              <td>${u.roles}</td>
            </tr>`,
        ),
        empty: r.t('noUsers'),
      })}
      <nav class="pager" aria-label="${r.t('pages')}">
        ${cursor === undefined || cursor === '' ? '' : html`<a href="${qs(undefined)}">${r.t('firstPage')}</a>`}${next === undefined ? '' : html`<a href="${qs(next)}" rel="next">${r.t('nextPage')}</a>`}
      </nav>`,
  };
}

async function userPage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const uid = r.query('uid') ?? '';
  const out = await r.run('lsssouser', { object: uid });
  if (!out.ok)
    return { kind: 'redirect', to: '/console/users', flash: { kind: 'error', text: out.message } };
  const v = pairsOf(out);
  const locked = v.get('status') === 'locked';
  const when = (name: string): string => formatDateTime(v.get(name) ?? '', r.tz, r.lang);
  return {
    kind: 'page',
    section: 'users',
    title: r.t('userTitle', { uid }),
    body: html`<dl class="detail" data-times>
        <dt>DN</dt>
        <dd>${v.get('dn')}</dd>
        <dt>${r.t('status')}</dt>
        <dd>${statusBadge(r, v.get('status') ?? '')}</dd>
        <dt>${r.t('failureCount')}</dt>
        <dd>${v.get('failure_count')}</dd>
        <dt>${r.t('lockTime')}</dt>
        <dd>${when('lock_time')}</dd>
        <dt>${r.t('validity')}</dt>
        <dd>${when('not_before') || '—'} – ${when('not_after') || '—'}</dd>
        <dt>${r.t('attrRoles')}</dt>
        <dd>
          ${v.get('roles')}
          <a href="/console/roles?uid=${encodeURIComponent(uid)}">${r.t('effectiveRoles')}</a>
        </dd>
        <dt>${r.t('passwordSet')}</dt>
        <dd>${v.get('password_set') === 'yes' ? r.t('yes') : r.t('no')}</dd>
      </dl>
      <div class="actions">
        <form method="post" action="/console/user/unlock" class="inline">
          ${hidden('csrf', r.csrf)}${hidden('uid', uid)}<button
            type="submit"
            ${locked || v.get('failure_count') !== '0' ? '' : html` class="secondary"`}
          >
            ${r.t('releaseLock')}
          </button>
        </form>
        <form method="post" action="/console/sessions/signoff" class="inline">
          ${hidden('csrf', r.csrf)}${hidden('uid', uid)}${hidden('back', userUrl(uid))}<button
            type="submit"
            class="secondary"
          >
            ${r.t('signOffUser')}
          </button>
        </form>
        <form
          method="post"
          action="/console/user/delete"
          class="inline"
          data-confirm="${r.t('confirmDelete', { uid })}"
        >
          ${hidden('csrf', r.csrf)}${hidden('uid', uid)}<button type="submit" class="danger">
            ${r.t('deleteUser')}
          </button>
        </form>
      </div>
      <h2>${r.t('editUser')}</h2>
      <form method="post" action="/console/user/edit" class="stack">
        ${hidden('csrf', r.csrf)}${hidden('uid', uid)} ${attributeInputs(r, v, false)}
        <div><button type="submit">${r.t('save')}</button></div>
      </form>`,
  };
}

export function userRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'users', handle: listPage },
    { method: 'GET', path: 'user', handle: userPage },
    {
      method: 'GET',
      path: 'users/new',
      handle: (r) =>
        Promise.resolve({
          kind: 'page',
          section: 'users',
          title: r.t('createUser'),
          body: html`<form method="post" action="/console/users/new" class="stack">
            ${hidden('csrf', r.csrf)}
            ${field(r, 'uid', 'uid', '', { required: true, autocomplete: 'off' })}
            ${field(r, 'dn', 'attrDn', '', { hint: r.t('dnHint') })}
            ${attributeInputs(r, new Map(), true)}
            <div><button type="submit">${r.t('create')}</button></div>
          </form>`,
        }),
    },
    {
      method: 'POST',
      path: 'users/new',
      form: { fields: { ...ATTRIBUTE_FIELDS, uid: 256, dn: 1024 }, maxBytes: 16384 },
      handle: async (r) => {
        const uid = (r.form.get('uid') ?? '').trim();
        const p = formParams(r, true);
        if ('error' in p)
          return {
            kind: 'redirect',
            to: '/console/users/new',
            flash: { kind: 'error', text: p.error },
          };
        const dn = (r.form.get('dn') ?? '').trim();
        const out = await r.run('mkssouser', {
          ...p.params,
          object: uid,
          dn: dn === '' ? undefined : dn,
        });
        return afterCommand(
          out,
          out.ok ? userUrl(uid) : '/console/users/new',
          r.t('userCreated', { uid }),
        );
      },
    },
    {
      method: 'POST',
      path: 'user/edit',
      form: { fields: { ...ATTRIBUTE_FIELDS, uid: 256 }, maxBytes: 16384 },
      handle: async (r) => {
        const uid = r.form.get('uid') ?? '';
        const p = formParams(r, false);
        if ('error' in p)
          return { kind: 'redirect', to: userUrl(uid), flash: { kind: 'error', text: p.error } };
        const out = await r.run('chssouser', { ...p.params, object: uid });
        return afterCommand(out, userUrl(uid), r.t('userChanged', { uid }));
      },
    },
    {
      method: 'POST',
      path: 'user/unlock',
      form: { fields: { uid: 256 }, maxBytes: 2048 },
      handle: async (r) => {
        const uid = r.form.get('uid') ?? '';
        const out = await r.run('chssouser', { object: uid, unlock: true });
        return afterCommand(out, userUrl(uid), r.t('userUnlocked', { uid }));
      },
    },
    {
      method: 'POST',
      path: 'user/delete',
      form: { fields: { uid: 256 }, maxBytes: 2048 },
      handle: async (r) => {
        const uid = r.form.get('uid') ?? '';
        if (uid === r.session.uid)
          return {
            kind: 'redirect',
            to: userUrl(uid),
            flash: { kind: 'error', text: r.t('cannotDeleteSelf') },
          };
        const out = await r.run('rmssouser', { object: uid });
        return afterCommand(
          out,
          out.ok ? '/console/users' : userUrl(uid),
          r.t('userDeleted', { uid }),
        );
      },
    },
    {
      method: 'GET',
      path: 'users/export',
      handle: async (r) => {
        const out = await r.run('export-ldif', {});
        if (!out.ok || out.result.output.kind !== 'text')
          return {
            kind: 'redirect',
            to: '/console/users',
            flash: { kind: 'error', text: out.ok ? '' : out.message },
          };
        return {
          kind: 'download',
          filename: 'sekisho-export.ldif',
          type: 'text/plain; charset=utf-8',
          body: out.result.output.text,
        };
      },
    },
    {
      method: 'GET',
      path: 'users/import',
      handle: (r) =>
        Promise.resolve({
          kind: 'page',
          section: 'users',
          title: r.t('importLdif'),
          body: html`<p>${r.t('importHint')}</p>
            <form method="post" action="/console/users/import" class="stack">
              ${hidden('csrf', r.csrf)}
              <label for="ldif-file"
                >${r.t('ldifFile')} <span class="hint">${r.t('needsScript')}</span></label
              ><input id="ldif-file" type="file" accept=".ldif,text/plain" data-into="ldif" />
              <label for="ldif">${r.t('ldifText')}</label
              ><textarea id="ldif" name="ldif" rows="16" required spellcheck="false"></textarea>
              <div><button type="submit">${r.t('import')}</button></div>
            </form>`,
        }),
    },
    {
      method: 'POST',
      path: 'users/import',
      form: { fields: { ldif: 1000 * 1024 }, maxBytes: 1024 * 1024, multiline: ['ldif'] },
      handle: async (r) => {
        const out = await r.run('import-ldif', { file: r.form.get('ldif') ?? '' });
        const lines =
          out.ok && out.result.output.kind === 'message' ? out.result.output.lines.join(' ') : '';
        return afterCommand(out, out.ok ? '/console/users' : '/console/users/import', lines);
      },
    },
  ];
}
