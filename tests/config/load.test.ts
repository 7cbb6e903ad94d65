// The configuration loader: defaults, every kind of problem with its dotted path and message,
// syntax errors with line and column, unreadable files, freezing, and hostile input.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  ConfigError,
  defaultConfig,
  loadConfig,
  MAX_CONFIG_BYTES,
  type ConfigErrorCode,
  type ConfigProblem,
} from '../../src/config/index.ts';

/** The problems of a configuration that must be refused with `code`. */
function problemsOf(text: string, code: ConfigErrorCode = 'CONFIG_INVALID'): ConfigProblem[] {
  try {
    loadConfig({ text, file: 'sekisho.json' });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, code, e.message);
    return [...e.problems];
  }
  assert.fail(`accepted: ${text.slice(0, 200)}`);
}

const only = (text: string): string => {
  const p = problemsOf(text);
  assert.equal(p.length, 1, JSON.stringify(p));
  return `${p[0]!.path}: ${p[0]!.message}`;
};

const json = (v: unknown): string => JSON.stringify(v);

describe('defaults', () => {
  it('fill an empty object', () => {
    assert.deepEqual(loadConfig({ text: '{}' }), {
      server: { listen: '127.0.0.1:8443' },
      repository: {
        store: 'embedded',
        ldap: {
          starttls: false,
          mode: 'openldap',
          'role-attribute': 'memberOf',
          'pool-size': 4,
          'reference-urls': [],
          'reference-retry-ms': 10000,
          'timeout-ms': 5000,
          'allow-plaintext': false,
        },
        'password-max-failure-count': 5,
        'lock-out-time': 0,
        'user-search-base': 'ou=users,dc=sekisho,dc=local',
        'certificate-mapping-attribute': 'cn',
        'certificate-identification': 'mapping-only',
        'default-credential-ttl': 30,
        'cause-notification': false,
      },
      logs: { directory: 'logs', 'max-size': 1024 * 1024, 'save-mode': 'separate', keep: 10 },
      sessions: {
        enabled: true,
        'idle-timeout': 30,
        'max-lifetime': 480,
        store: 'embedded',
        'redis-prefix': 'sekisho:',
        'forced-sign-on': true,
      },
      business: {
        'session-cache-ms': 2000,
        'deny-unknown-paths': true,
        'trusted-proxies': ['127.0.0.1', '::1'],
      },
      keyservers: { 'validation-interval': 15, 'validation-timeout': 10 },
      cluster: { enabled: false, 'redis-prefix': 'sekisho:' },
    });
  });
  it('defaultConfig() and loadConfig() without a source equal the empty file', () => {
    assert.deepEqual(defaultConfig(), loadConfig({ text: '{}' }));
    assert.deepEqual(loadConfig(), loadConfig({ text: '{}' }));
  });
  it('fill the rest of a partly given section and keep the given values', () => {
    const c = loadConfig({
      text: json({ repository: { 'lock-out-time': 30 }, logs: { 'save-mode': 'overwrite' } }),
    });
    assert.equal(c.repository['lock-out-time'], 30);
    assert.equal(c.repository['password-max-failure-count'], 5);
    assert.equal(c.logs['save-mode'], 'overwrite');
    assert.equal(c.logs.keep, 10);
  });
});

describe('sections', () => {
  it('server.public-url: an https origin without a path', () => {
    const ok = loadConfig({
      text: json({ server: { 'public-url': 'https://sso.example.com:8443' } }),
    });
    assert.equal(ok.server['public-url'], 'https://sso.example.com:8443');
    for (const bad of [
      'http://sso.example.com',
      'https://sso.example.com/sso',
      'https://a b',
      '',
    ]) {
      assert.throws(
        () => loadConfig({ text: json({ server: { 'public-url': bad } }) }),
        /server\.public-url: must be https:\/\/HOST\[:PORT\] without a path/,
        bad,
      );
    }
  });
  it('server: accepts names, IPv4, bracketed IPv6 and port 0; TLS files as a pair', () => {
    for (const listen of ['0.0.0.0:443', 'sso.example.com:8443', '[::1]:8443', 'localhost:0']) {
      assert.equal(loadConfig({ text: json({ server: { listen } }) }).server.listen, listen);
    }
    const c = loadConfig({
      text: json({ server: { 'tls-cert-file': 'tls/cert.pem', 'tls-key-file': 'tls/key.pem' } }),
    });
    assert.equal(c.server['tls-cert-file'], 'tls/cert.pem');
    assert.equal(c.server['tls-key-file'], 'tls/key.pem');
    for (const listen of ['8443', 'host:65536', 'host:-1', ':8443', 'host:', '::1:8443', 'a b:1']) {
      assert.equal(
        only(json({ server: { listen } })),
        'server.listen: must be HOST:PORT with a port from 0 to 65535',
        listen,
      );
    }
    assert.equal(
      only(json({ server: { 'tls-cert-file': 'c.pem' } })),
      'server.tls-key-file: required when server.tls-cert-file is set',
    );
    assert.equal(
      only(json({ server: { 'tls-key-file': 'k.pem' } })),
      'server.tls-cert-file: required when server.tls-key-file is set',
    );
    assert.equal(
      only(json({ server: { 'tls-cert-file': '', 'tls-key-file': 'k.pem' } })),
      'server.tls-cert-file: must not be empty',
    );
  });

  it('repository: bounds of lockout and credential lifetime, enumerations, attribute names', () => {
    const ok = loadConfig({
      text: json({
        repository: {
          'password-max-failure-count': 0,
          'lock-out-time': 525_600,
          'user-search-base': 'ou=people,o=example',
          'alternative-uid-attribute': 'employeeNumber',
          'certificate-mapping-attribute': 'mail',
          'certificate-identification': 'compare-stored',
          'default-credential-ttl': 0,
          'cause-notification': true,
        },
      }),
    }).repository;
    assert.equal(ok['password-max-failure-count'], 0);
    assert.equal(ok['alternative-uid-attribute'], 'employeeNumber');
    assert.equal(ok['certificate-identification'], 'compare-stored');
    assert.equal(ok['cause-notification'], true);
    for (const n of [30, 1440]) {
      const r = loadConfig({ text: json({ repository: { 'default-credential-ttl': n } }) });
      assert.equal(r.repository['default-credential-ttl'], n);
    }

    const r = (v: Record<string, unknown>) => only(json({ repository: v }));
    for (const v of [-1, 1000, 1.5, '5', null]) {
      assert.equal(
        r({ 'password-max-failure-count': v }),
        'repository.password-max-failure-count: must be an integer from 0 to 999',
      );
    }
    assert.equal(
      r({ 'lock-out-time': 525_601 }),
      'repository.lock-out-time: must be an integer from 0 to 525600',
    );
    for (const v of [1, 29, 1441, -1, 30.5]) {
      assert.equal(
        r({ 'default-credential-ttl': v }),
        'repository.default-credential-ttl: must be 0 or an integer from 30 to 1440',
        String(v),
      );
    }
    assert.equal(
      r({ 'certificate-mapping-attribute': 'CN' }),
      'repository.certificate-mapping-attribute: must be one of cn, mail, employeeNumber, uid, serialNumber, dnQualifier',
    );
    assert.equal(
      r({ 'certificate-identification': 'YES' }),
      'repository.certificate-identification: must be one of mapping-only, compare-stored',
    );
    assert.equal(
      r({ 'cause-notification': 'yes' }),
      'repository.cause-notification: must be true or false',
    );
    assert.equal(
      r({ 'alternative-uid-attribute': 'sAMAccountName' }),
      'repository.alternative-uid-attribute: must be one of cn, mail, employeeNumber, uid, serialNumber, dnQualifier',
    );
    assert.equal(r({ 'user-search-base': '' }), 'repository.user-search-base: must not be empty');
    assert.equal(r({ 'user-search-base': 7 }), 'repository.user-search-base: must be a string');
  });

  it('logs: size, save mode, keep', () => {
    const c = loadConfig({
      text: json({ logs: { directory: '/var/log/sekisho', 'max-size': 0, keep: 0 } }),
    });
    assert.equal(c.logs['max-size'], 0);
    assert.equal(c.logs.keep, 0);
    assert.equal(
      only(json({ logs: { 'save-mode': 'rotate' } })),
      'logs.save-mode: must be one of separate, overwrite',
    );
    assert.equal(
      only(json({ logs: { 'max-size': -1 } })),
      'logs.max-size: must be an integer from 0 to 1099511627776',
    );
    assert.equal(
      only(json({ logs: { keep: 100_001 } })),
      'logs.keep: must be an integer from 0 to 100000',
    );
    assert.equal(only(json({ logs: { directory: '' } })), 'logs.directory: must not be empty');
  });

  it('keyservers: interval and timeout', () => {
    const c = loadConfig({
      text: json({ keyservers: { 'validation-interval': 1, 'validation-timeout': 300 } }),
    });
    assert.deepEqual(c.keyservers, { 'validation-interval': 1, 'validation-timeout': 300 });
    assert.equal(
      only(json({ keyservers: { 'validation-interval': 0 } })),
      'keyservers.validation-interval: must be an integer from 1 to 1440',
    );
    assert.equal(
      only(json({ keyservers: { 'validation-timeout': 301 } })),
      'keyservers.validation-timeout: must be an integer from 1 to 300',
    );
  });

  it('a section or the file that is not an object', () => {
    assert.equal(only(json({ logs: [] })), 'logs: must be an object');
    assert.equal(only(json({ server: 'x' })), 'server: must be an object');
    assert.equal(only('[]'), ': must be an object');
    assert.equal(only('null'), ': must be an object');
  });
});

describe('problems', () => {
  it('are reported together, each with its dotted path, in one error', () => {
    const text = json({
      server: { listen: 'nowhere', 'tls-cert-file': 'c.pem' },
      repository: { bogus: 1, 'password-max-failure-count': 1000, 'default-credential-ttl': 10 },
      logs: { 'save-mode': 'x' },
      keyservers: 3,
      extra: {},
    });
    let error: unknown;
    try {
      loadConfig({ file: 'sekisho.json', text });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError);
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.deepEqual(error.problems.map((p) => `${p.path}: ${p.message}`).sort(), [
      'extra: unknown setting',
      'keyservers: must be an object',
      'logs.save-mode: must be one of separate, overwrite',
      'repository.bogus: unknown setting',
      'repository.default-credential-ttl: must be 0 or an integer from 30 to 1440',
      'repository.password-max-failure-count: must be an integer from 0 to 999',
      'server.listen: must be HOST:PORT with a port from 0 to 65535',
      'server.tls-key-file: required when server.tls-cert-file is set',
    ]);
    assert.match(error.message, /^sekisho\.json: 8 problems:\n {2}/);
    assert.ok(error.message.includes('\n  repository.bogus: unknown setting'));
    assert.ok(Object.isFrozen(error.problems));
  });

  it('unknown keys are refused at the top level and in sections, not dropped', () => {
    assert.equal(only(json({ sesion: {} })), 'sesion: unknown setting');
    assert.equal(
      only(json({ repository: { 'password-max-failure-counts': 3 } })),
      'repository.password-max-failure-counts: unknown setting',
    );
    assert.equal(
      only(json({ logs: { 'max-size': 1, maxSize: 2 } })),
      'logs.maxSize: unknown setting',
    );
  });

  it('a single problem reads as one line', () => {
    assert.throws(() => loadConfig({ file: 'a.json', text: '{"x":1}' }), {
      name: 'ConfigError',
      code: 'CONFIG_INVALID',
      message: 'a.json: x: unknown setting',
    });
  });
});

describe('syntax', () => {
  const syntax = (text: string): string => {
    const p = problemsOf(text, 'CONFIG_SYNTAX');
    assert.equal(p.length, 1);
    assert.equal(p[0]!.path, '');
    return p[0]!.message;
  };
  it('a comment names its line and column', () => {
    assert.equal(
      syntax('{\n  "logs": {}, // access logs\n  "server": {}\n}'),
      'line 2, column 15: expected a quoted key, unexpected "/" (comments are not allowed in JSON)',
    );
    assert.equal(
      syntax('/* c */ {}'),
      'line 1, column 1: unexpected "/" (comments are not allowed in JSON)',
    );
  });
  it('trailing commas name their line and column', () => {
    assert.equal(syntax('{\n  "logs": {},\n}'), 'line 3, column 1: trailing comma before "}"');
    assert.equal(syntax('{"a": [1,]}'), 'line 1, column 10: trailing comma before "]"');
  });
  it('other faults', () => {
    assert.equal(syntax(''), 'line 1, column 1: unexpected end of input');
    assert.equal(
      syntax('{"a": 1'),
      'line 1, column 8: expected "," or "}", unexpected end of input',
    );
    assert.equal(syntax("{'a': 1}"), `line 1, column 2: expected a quoted key, unexpected "'"`);
    assert.equal(syntax('{"a": 01}'), 'line 1, column 8: expected "," or "}", unexpected "1"');
    assert.equal(syntax('{"a": NaN}'), 'line 1, column 7: unexpected "N"');
    assert.equal(syntax('{} {}'), 'line 1, column 4: unexpected "{" after the end of the value');
    assert.equal(syntax('{"a": "x\ny"}'), 'line 1, column 9: control character in string');
    assert.equal(syntax('{"a": "\\x"}'), 'line 1, column 8: invalid escape');
    assert.equal(syntax('{"a": "x'), 'line 1, column 7: unterminated string');
    assert.equal(syntax('{"logs": {}, "logs": {}}'), 'line 1, column 14: duplicate key "logs"');
  });
  it('accepts a byte-order mark, escapes and all whitespace', () => {
    const c = loadConfig({ text: '\uFEFF{\r\n\t"logs" : { "directory" : "a\\u00e9\\/b" } }' });
    assert.equal(c.logs.directory, 'aé/b');
  });
  it('the error message names the file', () => {
    assert.throws(() => loadConfig({ file: 'x.json', text: '{,}' }), {
      code: 'CONFIG_SYNTAX',
      message: 'x.json: line 1, column 2: expected a quoted key, unexpected ","',
    });
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sekisho-config-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a file', () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, json({ logs: { keep: 3 } }));
    assert.equal(loadConfig({ file }).logs.keep, 3);
  });
  it('a missing file or a directory is CONFIG_UNREADABLE', () => {
    const missing = join(dir, 'missing.json');
    assert.throws(() => loadConfig({ file: missing }), {
      code: 'CONFIG_UNREADABLE',
      message: `${missing}: cannot read (ENOENT)`,
    });
    assert.throws(() => loadConfig({ file: dir }), {
      code: 'CONFIG_UNREADABLE',
      message: `${dir}: cannot read (EISDIR)`,
    });
  });
  it('a file over the size limit is refused before it is read', () => {
    const file = join(dir, 'big.json');
    writeFileSync(file, `{"logs":{"directory":"${'a'.repeat(10 * 1024 * 1024)}"}}`);
    assert.throws(() => loadConfig({ file }), {
      code: 'CONFIG_UNREADABLE',
      message: `${file}: larger than ${MAX_CONFIG_BYTES} bytes`,
    });
  });
  it('syntax errors in a file name it', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{\n  "logs": {},\n}\n');
    assert.throws(() => loadConfig({ file }), {
      code: 'CONFIG_SYNTAX',
      message: `${file}: line 3, column 1: trailing comma before "}"`,
    });
  });
});

describe('the result', () => {
  it('is deeply frozen', () => {
    const c = loadConfig({
      text: json({ server: { 'tls-cert-file': 'c.pem', 'tls-key-file': 'k.pem' } }),
    });
    assert.ok(Object.isFrozen(c));
    for (const section of Object.values(c)) assert.ok(Object.isFrozen(section));
    assert.throws(() => {
      Object.assign(c.logs, { keep: 1 });
    }, TypeError);
    assert.equal(c.logs.keep, 10);
  });
  it('has plain objects, one per call', () => {
    const a = defaultConfig();
    const b = defaultConfig();
    assert.notEqual(a, b);
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
    assert.equal(Object.getPrototypeOf(a.repository), Object.prototype);
  });
});

describe('hostile input', () => {
  it('__proto__ and constructor keys are unknown settings and pollute nothing', () => {
    const text =
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}},' +
      ' "logs": {"__proto__": {"keep": 1}, "toString": 1}}';
    assert.deepEqual(
      problemsOf(text)
        .map((p) => `${p.path}: ${p.message}`)
        .sort(),
      [
        '__proto__: unknown setting',
        'constructor: unknown setting',
        'logs.__proto__: unknown setting',
        'logs.toString: unknown setting',
      ],
    );
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });
  it('huge, tiny and non-finite numbers are refused', () => {
    for (const n of ['1e400', '-1e400', '9007199254740993', '5e0000000003', '1e3']) {
      assert.equal(
        only(`{"repository": {"password-max-failure-count": ${n}}}`),
        'repository.password-max-failure-count: must be an integer from 0 to 999',
        n,
      );
    }
    // An underflow is the number 0, which is a valid count.
    const c = loadConfig({ text: '{"repository": {"password-max-failure-count": 1e-400}}' });
    assert.equal(c.repository['password-max-failure-count'], 0);
  });
  it('a long string is refused without being echoed', () => {
    const long = 'x'.repeat(5000);
    const p = problemsOf(json({ repository: { 'user-search-base': long } }));
    assert.deepEqual(p, [
      { path: 'repository.user-search-base', message: 'must be at most 1024 characters' },
    ]);
  });
  it('a 10 MB string is refused by size, quickly', () => {
    const text = json({ logs: { directory: 'd'.repeat(10 * 1024 * 1024) } });
    const start = performance.now();
    assert.throws(() => loadConfig({ text }), {
      code: 'CONFIG_UNREADABLE',
      message: `<configuration>: larger than ${MAX_CONFIG_BYTES} bytes`,
    });
    assert.ok(performance.now() - start < 1000);
  });
  it('deep nesting is a syntax error, not a stack overflow', () => {
    const text = `{"logs": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const p = problemsOf(text, 'CONFIG_SYNTAX');
    assert.match(p[0]!.message, /^line 1, column \d+: nesting deeper than 32$/);
  });
});

describe('repository.store ldap', () => {
  it('is embedded by default, with the LDAP defaults in place', () => {
    const c = loadConfig({ text: '{}' });
    assert.equal(c.repository.store, 'embedded');
    assert.equal(c.repository.ldap['pool-size'], 4);
    assert.equal(c.repository.ldap['timeout-ms'], 5000);
    assert.equal(c.repository.ldap['allow-plaintext'], false);
  });
  it('needs url, bind-dn and bind-password-file, named by their dotted paths', () => {
    const p = problemsOf(json({ repository: { store: 'ldap' } }));
    assert.deepEqual(
      p.map((x) => x.path),
      ['repository.ldap.url', 'repository.ldap.bind-dn', 'repository.ldap.bind-password-file'],
    );
  });
  it('refuses plain ldap:// unless StartTLS, or loopback with allow-plaintext', () => {
    const ldap = { 'bind-dn': 'cn=s,dc=x', 'bind-password-file': 'pw' };
    const problem = (extra: object) =>
      problemsOf(json({ repository: { store: 'ldap', ldap: { ...ldap, ...extra } } }));
    assert.deepEqual(
      problem({ url: 'ldap://ldap.example.com' }).map((x) => x.path),
      ['repository.ldap.url'],
    );
    assert.equal(problem({ url: 'ldap://ldap.example.com', 'allow-plaintext': true }).length, 1);
    for (const ok of [
      { url: 'ldap://ldap.example.com', starttls: true },
      { url: 'ldaps://ldap.example.com:636' },
      { url: 'ldap://127.0.0.1:389', 'allow-plaintext': true },
    ]) {
      const c = loadConfig({
        text: json({ repository: { store: 'ldap', ldap: { ...ldap, ...ok } } }),
      });
      assert.equal(c.repository.store, 'ldap');
    }
    assert.deepEqual(
      problemsOf(json({ repository: { ldap: { url: 'http://x', mode: 'novell', bogus: 1 } } })).map(
        (x) => x.path,
      ),
      ['repository.ldap.bogus', 'repository.ldap.url', 'repository.ldap.mode'],
    );
  });
  it('reference-urls: ordered, the same TLS rule for each, empty by default', () => {
    const ldap = {
      url: 'ldaps://p.example.com',
      'bind-dn': 'cn=s,dc=x',
      'bind-password-file': 'pw',
    };
    const text = (extra: object) =>
      json({ repository: { store: 'ldap', ldap: { ...ldap, ...extra } } });
    assert.deepEqual(loadConfig({ text: text({}) }).repository.ldap['reference-urls'], []);
    const refs = ['ldaps://c1.example.com', 'ldaps://c2.example.com:636'];
    const c = loadConfig({ text: text({ 'reference-urls': refs }) });
    assert.deepEqual(c.repository.ldap['reference-urls'], refs);
    assert.equal(c.repository.ldap['reference-retry-ms'], 10_000);
    assert.deepEqual(
      problemsOf(
        text({ 'reference-urls': ['ldaps://c1.example.com', 'ldap://c2.example.com'] }),
      ).map((x) => x.path),
      ['repository.ldap.reference-urls.1'],
    );
    assert.deepEqual(
      problemsOf(text({ 'reference-urls': ['ftp://c1'] })).map((x) => x.path),
      ['repository.ldap.reference-urls.0'],
    );
  });
});

void describe('cluster', () => {
  void it('needs a Redis URL when enabled, and keeps the sessions there', () => {
    assert.throws(
      () => loadConfig({ text: '{"cluster":{"enabled":true}}' }),
      /cluster\.redis-url: required when cluster\.enabled is true/,
    );
    assert.throws(
      () =>
        loadConfig({
          text: JSON.stringify({
            cluster: { enabled: true, 'redis-url': 'redis://r:6379' },
            sessions: { store: 'redis', 'redis-url': 'redis://other:6379' },
          }),
        }),
      /sessions\.store: with cluster\.enabled the sessions are in cluster\.redis-url/,
    );
    const c = loadConfig({
      text: '{"cluster":{"enabled":true,"redis-url":"redis://r:6379/1","node-name":"node-a"}}',
    }).cluster;
    assert.deepEqual(c, {
      enabled: true,
      'redis-url': 'redis://r:6379/1',
      'redis-prefix': 'sekisho:',
      'node-name': 'node-a',
    });
  });
});
