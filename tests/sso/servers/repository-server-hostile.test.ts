/**
 * Hostile input cannot forge a line: user IDs, addresses and certificate names that hold
 * quotes, line breaks, ` |`, parentheses, U+2028 or lone surrogates are each written through the
 * servers as exactly one line of each log, which the grammar parses back to the original value
 * (lone surrogates read back as U+FFFD) — and an unknown user's attempt changes nothing stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';

import {
  parseAuthenticationLine,
  parseCertificateIdentification,
  parseRepositoryLine,
  wellFormed,
} from '../../../src/logs/index.ts';
import { issueCertificate, makeCa } from '../../../src/pki/certificates.ts';
import { describeCertificate } from '../../../src/pki/client-certificate.ts';
import type { PresentedCertificate } from '../../../src/sso/core/certificate-mapping.ts';
import type { Certs } from './harness.ts';
import {
  ADAPTERS,
  PASSWORD,
  TS,
  WRONG,
  authLine,
  closeRepositories,
  repoLine,
  rig,
  snapshot,
  tarou,
  testCerts,
} from './harness.ts';

let certs: Certs;
before(async () => {
  certs = await testCerts();
});
after(closeRepositories);

const INVALID = 'Authentication(basicAuth) failed. (Invalid ID or password)';
const NEED_PW = 'Authentication(basicAuth) failed. (Authentication by ID and password is required)';

// [user ID, the field as written between the quotes]
const UIDS: readonly [string, string][] = [
  ['a"b', 'a\\"b'],
  ['a\nb', 'a\\x0Ab'],
  ['a\rb', 'a\\x0Db'],
  ['x |', 'x |'],
  [
    'x" Authentication(basicAuth) succeeded. |\n',
    'x\\" Authentication(basicAuth) succeeded. |\\x0A',
  ],
  [') (Already locked', ') (Already locked'],
  ['tarou) (Already locked', 'tarou) (Already locked'],
  ['u\u2028v\u2029w', 'u\\u2028v\\u2029w'],
  ['lone\ud800', 'lone\ufffd'],
  ['\udc00x', '\ufffdx'],
  ['back\\slash', 'back\\\\slash'],
  ['\u202eevil', '\\u202Eevil'],
  ['nul\u0000', 'nul\\x00'],
  ['unknown', 'unknown'],
  ['', ''],
];

for (const adapter of ADAPTERS) {
  void describe(`hostile user IDs (${adapter})`, () => {
    for (const [uid, field] of UIDS) {
      void it(JSON.stringify(uid), async () => {
        const r = await rig({ adapter, users: [await tarou()] });
        const before = await snapshot(r.users);
        const result = await r.signOn({ uid, password: WRONG });
        assert.ok(!result.ok);
        assert.deepEqual(r.lines, [repoLine(field, INVALID), authLine(field, NEED_PW)]);
        const repo = parseRepositoryLine(r.lines[0]!);
        const auth = parseAuthenticationLine(r.lines[1]!);
        assert.equal(repo?.user, wellFormed(uid));
        assert.equal(auth?.user, wellFormed(uid));
        assert.deepEqual(
          [repo.token, repo.outcome, repo.supplementary, repo.sessionId],
          ['Authentication(basicAuth)', 'failed', 'Invalid ID or password', undefined],
        );
        assert.deepEqual(await snapshot(r.users), before);
        assert.deepEqual(r.system.lines, []);
      });
    }
  });
}

void describe('property: any user ID gives one line per log that parses back', () => {
  const unit = fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\r', '\u2028', '\u2029', '\ud800', '\udc00', ' |', '(', ')'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  );
  void it('unknown users, memory repository', async () => {
    const r = await rig({ users: [await tarou()] });
    const before = await snapshot(r.users);
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit, maxLength: 40 }).filter((s) => s !== 'tarou'),
        async (uid) => {
          r.clear();
          await r.signOn({ uid, password: PASSWORD });
          assert.equal(r.lines.length, 2);
          const repo = parseRepositoryLine(r.lines[0]!);
          const auth = parseAuthenticationLine(r.lines[1]!);
          assert.equal(repo?.user, wellFormed(uid));
          assert.equal(auth?.user, wellFormed(uid));
          assert.equal(repo.supplementary, 'Invalid ID or password');
          assert.equal(r.argon2id.calls.length, 1);
        },
      ),
      { numRuns: 150 },
    );
    assert.deepEqual(await snapshot(r.users), before);
  });
});

void describe('hostile addresses', () => {
  void it('client, business server and authentication server are single fields', async () => {
    const r = await rig({ users: [await tarou()] });
    const odd = ['10.0.0.1 - evil [x]', 'a"b |\n', '\u2028'];
    for (const client of odd) {
      for (const businessServer of odd) {
        r.clear();
        await r.authentication.signOn({
          uid: 'tarou',
          password: PASSWORD,
          client,
          businessServer,
          self: client,
        });
        const repo = parseRepositoryLine(r.lines[0]!);
        const auth = parseAuthenticationLine(r.lines[1]!);
        assert.deepEqual([repo?.authServer, repo?.client], [client, client]);
        assert.deepEqual([auth?.client, auth?.businessServer], [client, businessServer]);
        assert.equal(repo?.outcome, 'succeeded');
      }
    }
    r.clear();
    await r.authentication.signOn({
      uid: 'tarou',
      password: PASSWORD,
      client: '::ffff:192.0.2.7',
      businessServer: '[2001:DB8:0:0:0:0:0:1]',
      self: '2001:db8::0:2',
    });
    assert.deepEqual(r.lines, [
      `2001:db8::2 - 192.0.2.7 ${TS} - "cn=Tarou,ou=User,o=example" Authentication(basicAuth) succeeded. |`,
      `192.0.2.7 - 2001:db8::1 - 10.0.0.3 ${TS} - "cn=Tarou,ou=User,o=example" Authentication(basicAuth) succeeded. |`,
    ]);
  });
});

void describe('hostile certificate names', () => {
  const names: [string, string][] = [
    ['quotes and a backslash', 'Eve "root" \\ admin'],
    ['a forged supplementary', 'x) (Already locked'],
    ['a forged field', 'x", issuer="CN=Fake CA", subject="CN=Tarou'],
    ['a forged terminator and line', 'x |\n10.0.0.2 - 192.0.2.7 [2030/06/01 21:00:00 +0900]'],
    ['a carriage return', 'a\rb'],
    ['line and paragraph separators', 'a\u2028b\u2029c'],
    ['bidirectional controls', '\u202etxt.exe'],
  ];
  let evilCa: Awaited<ReturnType<typeof makeCa>>;
  before(async () => {
    evilCa = await makeCa('Evil "CA" \\ | ) (Already locked');
  });

  async function check(cert: PresentedCertificate, adapter: (typeof ADAPTERS)[number]) {
    const r = await rig({ adapter, users: [await tarou({ ssoAuthType: 'certAuth' })] });
    const before = await snapshot(r.users);
    await r.signOn({ certificate: cert });
    assert.equal(r.lines.length, 2);
    for (const line of r.lines) {
      const parsed =
        line === r.lines[0] ? parseRepositoryLine(line) : parseAuthenticationLine(line);
      assert.ok(parsed !== undefined);
      assert.equal(parsed.outcome, 'failed');
      assert.deepEqual(parseCertificateIdentification(parsed.user), {
        serial: cert.serialNumber,
        issuerDn: cert.issuerDn,
        subjectDn: cert.subjectDn,
      });
    }
    assert.equal(parseRepositoryLine(r.lines[0]!)?.supplementary, 'Invalid ID or password');
    assert.deepEqual(await snapshot(r.users), before);
  }

  for (const adapter of ADAPTERS) {
    for (const [what, cn] of names) {
      void it(`${adapter}: subject CN with ${what}`, async () => {
        const cert = await certs.issue({
          commonName: cn,
          subjectAttributes: [{ type: 'ou', value: cn }],
          emails: ['nobody@example.com'],
        });
        assert.ok(cert.subjectDn.includes('\\"') || !cn.includes('"'));
        await check(cert, adapter);
      });
    }
    void it(`${adapter}: issuer with quotes, a backslash and parentheses`, async () => {
      const cert = describeCertificate(
        (await issueCertificate(evilCa, { commonName: 'x"y', usage: 'client' })).cert,
      );
      assert.equal(cert.issuerDn, 'CN=Evil \\"CA\\" \\\\ | ) (Already locked');
      await check(cert, adapter);
    });
  }
});
