// `sekisho start` (the README's main job) as a real process: first start makes its PKI,
// token and local KEK, serves the management REST API over HTTPS, and stops cleanly.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SEKISHO_BIN } from '../helpers/kmip-process.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-'));
// The configuration file start reads from its data directory. Session management is off here:
// these tests sign the administrator on several times and compare exact lines without
// SessionID (tests/http/sso-sessions.test.ts covers sessions).
writeFileSync(path.join(dataDir, 'sekisho.json'), '{"sessions":{"enabled":false}}\n');
let server: Started;

interface Started {
  child: ChildProcessWithoutNullStreams;
  origin: string;
  output: () => string;
}

function startSekisho(): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', SEKISHO_BIN, 'start', '--listen', '127.0.0.1:0'],
    { env: { ...process.env, SEKISHO_DATA_DIR: dataDir } },
  );
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /management API +(https:\/\/127\.0\.0\.1:\d+)\/rest\/v1\//.exec(out);
      if (m && out.includes('Stop with Ctrl-C'))
        resolve({ child, origin: m[1]!, output: () => out });
    });
    child.once('exit', (code) => {
      reject(new Error(`sekisho start exited early (${String(code)}):\n${out}`));
    });
  });
}

function stop(s: Started, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => {
      resolve(code);
    });
    s.child.kill(signal);
  });
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
}

function request(
  method: 'GET' | 'POST',
  urlPath: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const token = readFileSync(path.join(dataDir, 'run', 'admin-token'), 'utf8').trim();
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(urlPath, server.origin),
      {
        method,
        ca: readFileSync(path.join(dataDir, 'pki', 'ca.crt')),
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const errorCode = (r: Reply): unknown => (r.json as { error?: { code?: unknown } }).error?.code;

before(async () => {
  server = await startSekisho();
});
after(async () => {
  if (server.child.exitCode === null) await stop(server);
  rmSync(dataDir, { recursive: true, force: true });
});

test('first start warns that no key server protects the KEK and keeps secrets owner-only', () => {
  const out = server.output();
  assert.match(out, /WARNING: no key server protects the key-encryption key/);
  assert.match(out, /npx sekisho chencryption -keyserver enable/);
  for (const f of ['kek.local', 'run/admin-token', 'pki/server.key', 'pki/ca.key']) {
    assert.equal(statSync(path.join(dataDir, f)).mode & 0o777, 0o600, f);
  }
  assert.equal(readFileSync(path.join(dataDir, 'kek.local')).length, 32);
});

test('GET /healthz answers over HTTPS with security headers', async () => {
  const r = await request('GET', '/healthz', undefined, { authorization: '' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal(r.headers['cache-control'], 'no-store');
});

const ADMIN_DN = 'uid=admin,ou=users,dc=sekisho,dc=local';
const basic = (password: string): string =>
  'Basic ' + Buffer.from(`admin:${password}`).toString('base64');

/** The first administrator's password, from the first start's output (printed exactly once). */
function adminPassword(): string {
  const all = [
    ...server.output().matchAll(/First administrator: user ID "admin", password (\S+)\n/g),
  ];
  assert.equal(all.length, 1, server.output());
  return all[0]![1]!;
}

/** An access log of the data directory, timestamps replaced by `[T]` once checked. */
function accessLog(name: string): string[] {
  const stamp = /\[\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\]/;
  return readFileSync(path.join(dataDir, 'logs', name), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      assert.match(l, stamp);
      return l.replace(stamp, '[T]');
    });
}

test('the first administrator signs on with HTTP Basic; /metrics counts it', async () => {
  const password = adminPassword();
  assert.match(password, /^[A-Za-z0-9_-]{20}$/);
  const r = await request('GET', '/sso/signon', undefined, { authorization: basic(password) });
  assert.equal(r.status, 303);
  assert.equal(r.headers['location'], '/sso/signon?lang=en');
  assert.match(
    String(r.headers['set-cookie']),
    /^__Host-sekisho-credential=[A-Za-z0-9_-]+; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=1800$/,
  );
  const m = await request('GET', '/metrics', undefined, { authorization: '' });
  assert.equal(m.status, 200);
  assert.equal(m.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const text = String(m.json);
  assert.match(text, /^sekisho_signon_total\{method="basicAuth",result="succeeded"\} 1$/m);
  assert.doesNotMatch(text, /result="failed"/);
  assert.match(text, /^process_resident_memory_bytes [1-9]\d*$/m);
  assert.match(text, /^# TYPE process_resident_memory_bytes gauge$/m);
  const h = await request('GET', '/healthz', undefined, { authorization: '' });
  assert.equal(h.status, 200);
});

test('the REST API refuses a missing or wrong token, in constant form', async () => {
  for (const auth of ['', 'Bearer wrong', 'Basic YWRtaW46YWRtaW4=', `Bearer ${'a'.repeat(600)}`]) {
    const r = await request('POST', '/rest/v1/lskeyserver', '{}', { authorization: auth });
    assert.equal(r.status, 401, auth);
    assert.equal(errorCode(r), 'UNAUTHORIZED');
  }
});

test('POST /rest/v1/COMMAND takes the command-line parameters as JSON', async () => {
  let r = await request('POST', '/rest/v1/lskeyserver', '{}');
  assert.equal(r.status, 200);
  assert.deepEqual((r.json as { data: unknown }).data, []);
  r = await request('POST', '/rest/v1/chkeyserverkmip', JSON.stringify({ enable: true }));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await request('POST', '/rest/v1/lskeyserverkmip', '{}');
  assert.deepEqual((r.json as { data: unknown }).data, {
    status: 'enabled_inactive',
    certificate: '',
  });
  r = await request('POST', '/rest/v1/lsnode', '{}');
  assert.deepEqual((r.json as { data: unknown }).data, [
    {
      id: '1',
      name: 'node1',
      service_IP_address_4: 'any',
      service_IP_address_6: 'any',
      status: 'online',
    },
  ]);
});

test('the REST API rejects bad requests with a clear error and changes nothing', async () => {
  const cases: [string, string, number, string][] = [
    ['nosuchcommand', '{}', 404, 'UNKNOWN_COMMAND'],
    ['mkkeyserver', '{}', 400, 'USAGE'],
    ['mkkeyserver', '{"ip":"127.0.0.1","bogus":1}', 400, 'USAGE'],
    ['mkkeyserver', '{"ip":"127.0.0.1","primary":"yes"}', 400, 'USAGE'],
    ['mkkeyserver', '{"ip":["127.0.0.1"]}', 400, 'USAGE'],
    ['mkkeyserver', '{"ip":"not an address"}', 400, 'KEYSERVER_INVALID_ADDRESS'],
    [
      'mkkeyserver',
      '{"ip":"127.0.0.1","sslcert":"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"}',
      400,
      'KEYSERVER_INVALID_CERTIFICATE',
    ],
    ['rmkeyserver', '{"object":"nosuch"}', 404, 'KEYSERVER_NOT_FOUND'],
    ['cheventlog', '{"fix":"42"}', 404, 'EVENT_NOT_FOUND'],
    ['lskeyserver', '[1,2]', 400, 'USAGE'],
    ['lskeyserver', '{"delim":', 400, 'BAD_REQUEST'],
  ];
  for (const [cmd, body, status, code] of cases) {
    const r = await request('POST', `/rest/v1/${cmd}`, body);
    assert.equal(r.status, status, `${cmd} ${body}: ${JSON.stringify(r.json)}`);
    assert.equal(errorCode(r), code, `${cmd} ${body}`);
  }
  const big = await request(
    'POST',
    '/rest/v1/lskeyserver',
    JSON.stringify({ delim: 'x'.repeat(2 * 1024 * 1024) }),
  );
  assert.equal(big.status, 413);
  const r = await request('POST', '/rest/v1/lskeyserver', '{}');
  assert.deepEqual((r.json as { data: unknown }).data, []);
});

test('REST clients get event-log rows as objects; the failed validation says why', async () => {
  const closed = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => {
        resolve(p);
      });
    });
  });
  let r = await request(
    'POST',
    '/rest/v1/mkkeyserver',
    JSON.stringify({ ip: '127.0.0.1', port: closed, primary: true }),
  );
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.match(String((r.json as { warnings: string[] }).warnings[0]), /event 086008/);
  r = await request('POST', '/rest/v1/lseventlog', '{}', { 'accept-language': 'ja' });
  const rows = (r.json as { data: Record<string, unknown>[] }).data;
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!['event_id'], '086008');
  assert.equal(rows[0]!['error_code'], 1785);
  assert.equal(rows[0]!['fixed'], 'no');
  assert.equal(rows[0]!['description'], '鍵サーバーへの接続に失敗しました');
  r = await request('POST', '/rest/v1/rmkeyserver', JSON.stringify({ object: 0 }));
  assert.equal(r.status, 200);
});

test('a second start on the same data directory is refused and leaves the first running', async () => {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', SEKISHO_BIN, 'start', '--listen', '127.0.0.1:0'],
    {
      env: { ...process.env, SEKISHO_DATA_DIR: dataDir },
    },
  );
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  assert.match(err, /already running for .* \(pid \d+/);
  const r = await request('GET', '/healthz');
  assert.equal(r.status, 200);
});

test('the token is checked before the body is read; large bodies only where a command asks', async () => {
  const huge = JSON.stringify({ delim: 'x'.repeat(2 * 1024 * 1024) });
  let r = await request('POST', '/rest/v1/lskeyserver', huge, { authorization: 'Bearer wrong' });
  assert.equal(r.status, 401, 'refused before the 2 MiB body is parsed');
  r = await request(
    'POST',
    '/rest/v1/lskeyserver',
    JSON.stringify({ delim: 'x'.repeat(300 * 1024) }),
  );
  assert.equal(r.status, 400);
  assert.match((r.json as { error: { message: string } }).error.message, /longer than 262144/);
  // import-ldif carries files: a 1.5 MiB LDIF (mostly comments) goes through.
  const comment = '# ' + 'padding '.repeat(100) + '\n';
  const ldif =
    comment.repeat(2_100) +
    'dn: cn=big,ou=users,dc=sekisho,dc=local\nobjectClass: ssoUser\ncn: big\nuid: big\n' +
    'userPassword: {SSHA}WmAFD4x4JRDaxQV5/L1nJE3XfwtUNkFXSVBtcQ==\n';
  assert.ok(ldif.length > 1.5 * 1024 * 1024);
  r = await request('POST', '/rest/v1/import-ldif', JSON.stringify({ file: ldif }));
  assert.equal(r.status, 200, JSON.stringify(r.json).slice(0, 300));
  assert.deepEqual((r.json as { output: unknown }).output, {
    kind: 'message',
    lines: ['1 entries added, 0 modified, 0 deleted'],
  });
});

test('a CLI caller gets the rendered event list without rows built for it', async () => {
  const r = await request('POST', '/rest/v1/lseventlog', '{}', { 'x-sekisho-client': 'cli' });
  assert.equal(r.status, 200);
  const data = (r.json as { data: unknown }).data;
  assert.equal(Array.isArray(data), false);
  assert.match((data as { text: string }).text, /^sequence_number last_timestamp/);
});

test('commands on the command line reach the running server', async () => {
  const { execFileSync } = await import('node:child_process');
  const run = (cmd: string): string =>
    execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', SEKISHO_BIN, cmd], {
      env: { ...process.env, SEKISHO_DATA_DIR: dataDir },
    }).toString();
  assert.match(run('lskeyserverkmip'), /^status enabled_inactive$/m);
  // Only the running server holds the KEK in memory (it read it at start): the answer
  // proves the command ran there, not in the CLI's own process.
  assert.match(run('lsencryption'), /^kek_in_memory yes$/m);
});

test('SIGTERM stops it cleanly; a restart keeps the CA, the token and the settings', async () => {
  const ca = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const token = readFileSync(path.join(dataDir, 'run', 'admin-token'), 'utf8');
  const kek = readFileSync(path.join(dataDir, 'kek.local'));
  const password = adminPassword();
  // A wrong and a right sign-on, then SIGTERM at once: their lines are still buffered (the
  // writers flush every 200 ms) and must all reach the files.
  const wrong = await request('GET', '/sso/signon', undefined, { authorization: basic('wrong') });
  assert.equal(wrong.status, 401);
  const right = await request('GET', '/sso/signon', undefined, { authorization: basic(password) });
  assert.equal(right.status, 303);
  assert.equal(await stop(server), 0);
  assert.equal(existsSync(path.join(dataDir, 'run', 'server.json')), false, 'run file removed');
  const repo = (result: string): string => `127.0.0.1 - 127.0.0.1 [T] - "${ADMIN_DN}" ${result} |`;
  const auth = (result: string): string =>
    `127.0.0.1 - unknown - 127.0.0.1 [T] - "${ADMIN_DN}" ${result} |`;
  assert.deepEqual(accessLog('repository-access.log'), [
    repo('Authentication(basicAuth) succeeded.'),
    repo('Authentication(basicAuth) failed. (Count up failure count)'),
    repo('Modification succeeded. (Count up failure count)'),
    repo('Authentication(basicAuth) succeeded.'),
    repo('Modification succeeded. (Failure count reset)'),
  ]);
  assert.deepEqual(accessLog('authentication-access.log'), [
    auth('Authentication(basicAuth) succeeded.'),
    auth('Authentication(basicAuth) failed. (Authentication by ID and password is required)'),
    auth('Authentication(basicAuth) succeeded.'),
  ]);
  server = await startSekisho();
  assert.doesNotMatch(server.output(), /First administrator/);
  assert.equal(server.output().includes(password), false);
  const again = await request('GET', '/sso/signon', undefined, { authorization: basic(password) });
  assert.equal(again.status, 303, 'the password still works after the restart');
  assert.equal(readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8'), ca);
  assert.equal(readFileSync(path.join(dataDir, 'run', 'admin-token'), 'utf8'), token);
  assert.deepEqual(readFileSync(path.join(dataDir, 'kek.local')), kek);
  const r = await request('POST', '/rest/v1/lskeyserverkmip', '{}');
  assert.equal((r.json as { data: { status: string } }).data.status, 'enabled_inactive');
  assert.equal(await stop(server, 'SIGINT'), 0);
});

test('a malformed --listen is a usage error and starts nothing', async () => {
  const child = spawn(process.execPath, [SEKISHO_BIN, 'start', '--listen', 'localhost'], {
    env: { ...process.env, SEKISHO_DATA_DIR: dataDir },
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /-listen must be HOST:PORT/);
});
