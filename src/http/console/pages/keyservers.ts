/**
 * Key servers: the key-server types and their state, the key-server list with status and the
 * last validation per stage, add / change / remove / test now, and the system certificate.
 * Commands: lskeyserver<type>, chkeyserver<type>, lskeyserver, mkkeyserver, chkeyserver,
 * rmkeyserver, testkeyserver, lssystemcert.
 */
import { formatDateTime } from '../format.ts';
import { html, type SafeHtml } from '../html.ts';
import {
  afterCommand,
  pairsOf,
  rowsOf,
  type CommandOutcome,
  type ConsoleRequest,
  type ConsoleResponse,
  type ConsoleRoute,
} from '../page.ts';

const TYPES = ['isklm', 'ciphertrustmanager', 'kmip'] as const;
type Type = (typeof TYPES)[number];
const isType = (s: string | undefined): s is Type => TYPES.some((t) => t === s);

const STAGE_ORDER = [
  'service_ip',
  'dns',
  'tcp',
  'tls',
  'certificates',
  'discover_versions',
  'query',
  'kek',
] as const;

const csrfInput = (r: ConsoleRequest): SafeHtml =>
  html`<input type="hidden" name="csrf" value="${r.csrf}" />`;

function badge(value: string): SafeHtml {
  const kind =
    value === 'online' || value === 'ok' || value === 'enabled_active'
      ? 'ok'
      : value === 'offline' || value === 'failed' || value === 'degraded'
        ? 'bad'
        : 'neutral';
  return html`<span class="badge ${kind}">${value}</span>`;
}

/** Warnings of a command (validation failures after mkkeyserver/chkeyserver/testkeyserver). */
function withWarnings(
  r: ConsoleRequest,
  out: CommandOutcome,
  to: string,
  ok: string,
): ConsoleResponse {
  if (!out.ok) return afterCommand(out, to, ok);
  const warnings = out.result.warnings ?? [];
  const failed = out.result.failed === true || warnings.length > 0;
  return {
    kind: 'redirect',
    to,
    flash: failed
      ? { kind: 'error', text: [r.t('validationFailed'), ...warnings].join(' ') }
      : { kind: 'ok', text: ok },
  };
}

/** The stage table of a key server's last validation (from the detailed lskeyserver view). */
function stageTable(r: ConsoleRequest, d: ReadonlyMap<string, string>): SafeHtml {
  const rows: SafeHtml[] = [];
  for (const [k, v] of d) {
    const m = /^validation_node(.+?)_([a-z_]+)$/.exec(k);
    if (m === null || !STAGE_ORDER.some((s) => s === m[2])) continue;
    const [result = '', ms = '', ...rest] = v.split(' ');
    rows.push(
      html`<tr>
        <td>${m[1]}</td>
        <td>${m[2]}</td>
        <td>${badge(result)}</td>
        <td class="num">${ms}</td>
        <td>${rest.join(' ')}</td>
      </tr>`,
    );
  }
  if (rows.length === 0) return html`<p>${r.t('notValidated')}</p>`;
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">${r.t('node')}</th>
          <th scope="col">${r.t('stage')}</th>
          <th scope="col">${r.t('result')}</th>
          <th scope="col">ms</th>
          <th scope="col">${r.t('detail')}</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

async function overview(r: ConsoleRequest): Promise<ConsoleResponse> {
  const types = await Promise.all(
    TYPES.map(async (t) => ({ t, d: pairsOf(await r.run(`lskeyserver${t}`, {})) })),
  );
  const list = rowsOf(await r.run('lskeyserver', {}));
  const details = await Promise.all(
    list.map(async (k) => ({ k, d: pairsOf(await r.run('lskeyserver', { object: k['id'] })) })),
  );
  const cert = pairsOf(await r.run('lssystemcert', {}));
  const csrf = csrfInput(r);
  return {
    kind: 'page',
    section: 'keyservers',
    title: r.t('keyServersTitle'),
    body: html`<h2 id="types">${r.t('keyServerTypes')}</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">${r.t('type')}</th>
              <th scope="col">${r.t('status')}</th>
              <th scope="col">${r.t('caCertificate')}</th>
            </tr>
          </thead>
          <tbody>
            ${types.map(
              ({ t, d }) =>
                html`<tr>
                  <td>${t}</td>
                  <td>${badge(d.get('status') ?? '')}</td>
                  <td>${d.get('certificate') ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <form method="post" action="/console/keyservers/type" class="stack">
        ${csrf} <label for="t-type">${r.t('type')}</label
        ><select id="t-type" name="type">
          ${TYPES.map((t) => html`<option value="${t}">${t}</option>`)}
        </select>
        <label for="t-action">${r.t('action')}</label
        ><select id="t-action" name="action">
          <option value="enable">${r.t('enable')}</option>
          <option value="disable">${r.t('disable')}</option>
          <option value="cert">${r.t('setCertificateOnly')}</option>
        </select>
        <label for="t-cert"
          >${r.t('caCertificatePem')} <span class="hint">${r.t('optional')}</span></label
        ><textarea id="t-cert" name="sslcert" rows="6" spellcheck="false"></textarea>
        <div><button type="submit">${r.t('apply')}</button></div>
      </form>
      <h2 id="list">${r.t('keyServerList')}</h2>
      ${
        details.length === 0
          ? html`<p>${r.t('noKeyServers')}</p>`
          : details.map(
              ({ k, d }) =>
                html`<section class="keyserver" aria-labelledby="ks-${k['id']}">
                  <h3 id="ks-${k['id']}">
                    ${k['name']}
                    <span class="sr-only">(${r.t('status')})</span> ${badge(k['status'] ?? '')}
                  </h3>
                  <dl class="detail" data-times>
                    <dt>ID</dt>
                    <dd>${k['id']}</dd>
                    <dt>${r.t('address')}</dt>
                    <dd>${k['IP_address']}:${k['port']}</dd>
                    <dt>${r.t('type')}</dt>
                    <dd>${k['type']}</dd>
                    <dt>${r.t('primary')}</dt>
                    <dd>${k['primary'] === 'yes' ? r.t('yes') : r.t('no')}</dd>
                    <dt>${r.t('lastValidation')}</dt>
                    <dd>${formatDateTime(d.get('last_validation') ?? '', r.tz, r.lang) || '—'}</dd>
                    <dt>${r.t('errSeqNum')}</dt>
                    <dd>
                      ${d.get('err_seq_num') ? html`<a href="/console/event?seq=${d.get('err_seq_num') ?? ''}">${d.get('err_seq_num')}</a>` : '—'}
                    </dd>
                  </dl>
                  ${stageTable(r, d)}
                  <div class="actions">
                    <form method="post" action="/console/keyservers/test" class="inline">
                      ${csrf}<input type="hidden" name="id" value="${k['id']}" /><button
                        type="submit"
                      >
                        ${r.t('testNow')}
                      </button>
                    </form>
                    <a href="/console/keyserver?id=${encodeURIComponent(k['id'] ?? '')}"
                      >${r.t('change')}</a
                    >
                    <form
                      method="post"
                      action="/console/keyservers/remove"
                      class="inline"
                      data-confirm="${r.t('confirmRemove', { name: k['name'] ?? '' })}"
                    >
                      ${csrf}<input type="hidden" name="id" value="${k['id']}" /><button
                        type="submit"
                        class="danger"
                      >
                        ${r.t('remove')}
                      </button>
                    </form>
                  </div>
                </section>`,
            )
      }
      <h2 id="add">${r.t('addKeyServer')}</h2>
      <form method="post" action="/console/keyservers/add" class="stack">
        ${csrf} <label for="k-ip">${r.t('address')}</label
        ><input id="k-ip" name="ip" required autocomplete="off" />
        <label for="k-port">${r.t('port')} <span class="hint">5696</span></label
        ><input id="k-port" name="port" inputmode="numeric" autocomplete="off" />
        <label for="k-name">${r.t('name')} <span class="hint">${r.t('optional')}</span></label
        ><input id="k-name" name="name" autocomplete="off" />
        <label><input type="checkbox" name="primary" value="yes" /> ${r.t('primary')}</label>
        <label for="k-cert"
          >${r.t('serverCertificatePem')} <span class="hint">${r.t('optional')}</span></label
        ><textarea id="k-cert" name="sslcert" rows="6" spellcheck="false"></textarea>
        <div><button type="submit">${r.t('add')}</button></div>
      </form>
      <h2 id="cert">${r.t('systemCertificate')}</h2>
      <dl class="detail" data-times>
        ${[...cert].map(
          ([k, v]) =>
            html`<dt>${k}</dt>
              <dd>${k.startsWith('not_') ? formatDateTime(new Date(v), r.tz, r.lang) : v}</dd>`,
        )}
      </dl>
      <form method="post" action="/console/keyservers/systemcert" class="stack">
        ${csrf} <label for="c-action">${r.t('systemCertAction')}</label
        ><select id="c-action" name="action">
          ${SYSTEM_CERT_ACTIONS.map(
            (a) => html`<option value="${a}">${r.t(SYSTEM_CERT_TEXT[a])}</option>`,
          )}
        </select>
        <label for="c-cn">${r.t('commonName')} <span class="hint">${r.t('optional')}</span></label
        ><input id="c-cn" name="commonname" autocomplete="off" />
        <label for="c-pem"
          >${r.t('signedCertificatePem')} <span class="hint">${r.t('optional')}</span></label
        ><textarea id="c-pem" name="pem" rows="6" spellcheck="false"></textarea>
        <div><button type="submit">${r.t('systemCertApply')}</button></div>
      </form>`,
  };
}

/** What the system-certificate form can do: `chsystemcert`'s four actions. */
const SYSTEM_CERT_ACTIONS = ['export', 'mkrequest', 'install', 'mkselfsigned'] as const;
type SystemCertAction = (typeof SYSTEM_CERT_ACTIONS)[number];
const SYSTEM_CERT_TEXT = {
  export: 'systemCertExport',
  mkrequest: 'systemCertRequest',
  install: 'systemCertInstall',
  mkselfsigned: 'systemCertRenew',
} as const satisfies Record<SystemCertAction, string>;

function isSystemCertAction(a: string | undefined): a is SystemCertAction {
  return SYSTEM_CERT_ACTIONS.some((x) => x === a);
}

async function changePage(r: ConsoleRequest): Promise<ConsoleResponse> {
  const id = r.query('id') ?? '';
  const out = await r.run('lskeyserver', { object: id });
  if (!out.ok) return afterCommand(out, '/console/keyservers', '');
  const d = pairsOf(out);
  return {
    kind: 'page',
    section: 'keyservers',
    title: r.t('changeKeyServer', { name: d.get('name') ?? id }),
    body: html`<form method="post" action="/console/keyservers/change" class="stack">
      ${csrfInput(r)}<input type="hidden" name="id" value="${id}" />
      <label for="k-ip">${r.t('address')}</label
      ><input id="k-ip" name="ip" value="${d.get('IP_address') ?? ''}" required />
      <label for="k-port">${r.t('port')}</label
      ><input id="k-port" name="port" value="${d.get('port') ?? ''}" inputmode="numeric" />
      <label for="k-name">${r.t('name')}</label
      ><input id="k-name" name="name" value="${d.get('name') ?? ''}" />
      <label
        ><input
          type="checkbox"
          name="primary"
          value="yes"
          ${d.get('primary') === 'yes' ? html` checked disabled` : ''}
        />
        ${r.t('primary')}</label
      >
      <label for="k-cert"
        >${r.t('serverCertificatePem')} <span class="hint">${r.t('certKeep')}</span></label
      ><textarea id="k-cert" name="sslcert" rows="6" spellcheck="false"></textarea>
      <div><button type="submit">${r.t('save')}</button></div>
    </form>`,
  };
}

const PEM = 16 * 1024;

export function keyServerRoutes(): ConsoleRoute[] {
  return [
    { method: 'GET', path: 'keyservers', handle: overview },
    { method: 'GET', path: 'keyserver', handle: changePage },
    {
      method: 'POST',
      path: 'keyservers/type',
      form: {
        fields: { type: 32, action: 16, sslcert: PEM },
        maxBytes: PEM + 1024,
        multiline: ['sslcert'],
      },
      handle: async (r) => {
        const type = r.form.get('type');
        const action = r.form.get('action');
        const cert = (r.form.get('sslcert') ?? '').trim();
        if (!isType(type) || (action !== 'enable' && action !== 'disable' && action !== 'cert'))
          return {
            kind: 'redirect',
            to: '/console/keyservers',
            flash: { kind: 'error', text: r.t('badRequest') },
          };
        const out = await r.run(`chkeyserver${type}`, {
          enable: action === 'enable',
          disable: action === 'disable',
          sslcert: cert === '' ? undefined : cert + '\n',
        });
        return afterCommand(out, '/console/keyservers#types', r.t('typeChanged', { type }));
      },
    },
    {
      method: 'POST',
      path: 'keyservers/add',
      form: {
        fields: { ip: 256, port: 8, name: 64, primary: 3, sslcert: PEM },
        maxBytes: PEM + 2048,
        multiline: ['sslcert'],
      },
      handle: async (r) => {
        const f = (n: string): string | undefined => {
          const v = (r.form.get(n) ?? '').trim();
          return v === '' ? undefined : v;
        };
        const cert = f('sslcert');
        const out = await r.run('mkkeyserver', {
          ip: f('ip') ?? '',
          port: f('port'),
          name: f('name'),
          primary: r.form.get('primary') === 'yes',
          sslcert: cert === undefined ? undefined : cert + '\n',
        });
        const created =
          out.ok && out.result.output.kind === 'message' ? out.result.output.lines.join(' ') : '';
        return withWarnings(r, out, '/console/keyservers#list', created);
      },
    },
    {
      method: 'POST',
      path: 'keyservers/change',
      form: {
        fields: { id: 64, ip: 256, port: 8, name: 64, primary: 3, sslcert: PEM },
        maxBytes: PEM + 2048,
        multiline: ['sslcert'],
      },
      handle: async (r) => {
        const id = r.form.get('id') ?? '';
        const f = (n: string): string | undefined => {
          const v = (r.form.get(n) ?? '').trim();
          return v === '' ? undefined : v;
        };
        const cert = f('sslcert');
        const out = await r.run('chkeyserver', {
          object: id,
          ip: f('ip'),
          port: f('port'),
          name: f('name'),
          primary: r.form.get('primary') === 'yes',
          sslcert: cert === undefined ? undefined : cert + '\n',
        });
        return withWarnings(r, out, '/console/keyservers#list', r.t('keyServerChanged'));
      },
    },
    {
      method: 'POST',
      path: 'keyservers/test',
      form: { fields: { id: 64 }, maxBytes: 1024 },
      handle: async (r) => {
        const out = await r.run('testkeyserver', { object: r.form.get('id') ?? '' });
        return withWarnings(r, out, '/console/keyservers#list', r.t('validationPassed'));
      },
    },
    {
      method: 'POST',
      path: 'keyservers/systemcert',
      form: {
        fields: { action: 16, commonname: 64, pem: PEM },
        maxBytes: PEM + 1024,
        multiline: ['pem'],
      },
      handle: async (r) => {
        const action = r.form.get('action');
        if (!isSystemCertAction(action))
          return {
            kind: 'redirect',
            to: '/console/keyservers#cert',
            flash: { kind: 'error', text: r.t('badRequest') },
          };
        const cn = (r.form.get('commonname') ?? '').trim();
        const pem = (r.form.get('pem') ?? '').trim();
        const out = await r.run('chsystemcert', {
          [action]: true,
          commonname: cn === '' || action === 'export' || action === 'install' ? undefined : cn,
          file: action === 'install' ? pem + '\n' : undefined,
        });
        // A request or the exported certificate is text to copy: shown on a page of its own.
        if (out.ok && out.result.output.kind === 'text') {
          return {
            kind: 'page',
            section: 'keyservers',
            title: r.t('systemCertificate'),
            body: html`<h2>${r.t(SYSTEM_CERT_TEXT[action])}</h2>
              <pre class="pem">${out.result.output.text}</pre>
              <p><a href="/console/keyservers#cert">${r.t('keyServersBack')}</a></p>`,
          };
        }
        return afterCommand(out, '/console/keyservers#cert', r.t('systemCertDone'));
      },
    },
    {
      method: 'POST',
      path: 'keyservers/remove',
      form: { fields: { id: 64 }, maxBytes: 1024 },
      handle: async (r) => {
        const out = await r.run('rmkeyserver', { object: r.form.get('id') ?? '' });
        return afterCommand(out, '/console/keyservers#list', r.t('keyServerRemoved'));
      },
    },
  ];
}
