import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SsoError } from '../../../src/sso/core/errors.ts';
import {
  effectiveCredentialTtl,
  formatGeneralizedTime,
  newSsoUser,
  parseGeneralizedTime,
  parseSsoUser,
  toAttributes,
} from '../../../src/sso/core/user.ts';

const DER = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);

function entry(attrs: Record<string, (string | Uint8Array)[]>) {
  return { dn: 'cn=User001,ou=User,o=fujitsu,dc=com', attributes: new Map(Object.entries(attrs)) };
}

const base = { objectClass: ['top', 'inetOrgPerson', 'ssoUser'], uid: ['user001'] };

function rejectsWith(
  attrs: Record<string, (string | Uint8Array)[]>,
  code: string,
  attribute: string,
) {
  assert.throws(
    () => parseSsoUser(entry({ ...base, ...attrs })),
    (e) => e instanceof SsoError && e.code === code && e.attribute === attribute,
  );
}

void describe('parseSsoUser', () => {
  void it('parses every attribute, case-insensitively, with defaults', () => {
    const u = parseSsoUser(
      entry({
        ...base,
        USERPASSWORD: ['{SSHA}abc'],
        ssoauthtype: ['basicAuthAndCertAuth'],
        ssoNotBefore: ['20300101000000Z'],
        ssoNotAfter: ['20301231235959+0900'],
        ssoCredentialTTL: ['60'],
        ssoUserStatus: ['locked'],
        ssoFailureCount: ['5'],
        ssoLockTimeStamp: ['20020101090000Z'],
        ssoRoleName: ['admin', 'staff'],
        cn: ['User 001'],
        mail: ['u@example.com'],
        employeeNumber: ['42'],
        serialNumber: ['S1'],
        dnQualifier: ['q'],
        'userCertificate;binary': [DER],
      }),
    );
    assert.equal(u.ssoAuthType, 'basicAuthAndCertAuth');
    assert.equal(u.ssoNotBefore?.toISOString(), '2030-01-01T00:00:00.000Z');
    assert.equal(u.ssoNotAfter?.toISOString(), '2030-12-31T14:59:59.000Z');
    assert.equal(u.ssoLockTimeStamp?.toISOString(), '2002-01-01T09:00:00.000Z');
    assert.equal(u.ssoFailureCount, 5);
    assert.equal(u.ssoUserStatus, 'locked');
    assert.deepEqual(u.userCertificate, [DER]);
    assert.deepEqual(u.ssoRoleName, ['admin', 'staff']);
    const d = parseSsoUser(entry(base));
    assert.equal(d.ssoAuthType, 'basicAuthOrCertAuth');
    assert.equal(d.ssoUserStatus, 'good');
    assert.equal(d.ssoFailureCount, 0);
  });

  void it('round-trips through toAttributes', () => {
    const u = newSsoUser('uid=a,o=x', 'a', {
      userPassword: '$argon2id$x',
      ssoNotAfter: new Date('2031-02-03T04:05:06Z'),
      ssoCredentialTTL: 0,
      ssoRoleName: ['r'],
      mail: ['a@x'],
      userCertificate: [DER],
    });
    assert.deepEqual(parseSsoUser({ dn: u.dn, attributes: toAttributes(u) }), u);
    assert.deepEqual(toAttributes(u).get('ssoNotAfter'), ['20310203040506Z']);
  });

  void it('names the attribute in coded errors', () => {
    assert.throws(
      () => parseSsoUser(entry({ objectClass: ['ssoUser'] })),
      (e) => e instanceof SsoError && e.code === 'SSO_ATTRIBUTE_MISSING' && e.attribute === 'uid',
    );
    rejectsWith({ uid: ['a', 'b'] }, 'SSO_ATTRIBUTE_SINGLE_VALUED', 'uid');
    rejectsWith({ uid: ['a:b'] }, 'SSO_ATTRIBUTE_INVALID', 'uid');
    rejectsWith({ ssoNotBefore: ['2030-01-01'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoNotBefore');
    rejectsWith({ ssoNotAfter: ['20300230000000Z'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoNotAfter');
    rejectsWith(
      { ssoLockTimeStamp: ['20300101250000Z'] },
      'SSO_ATTRIBUTE_INVALID',
      'ssoLockTimeStamp',
    );
    rejectsWith({ ssoFailureCount: ['-1'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoFailureCount');
    rejectsWith({ ssoCredentialTTL: ['1.5'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoCredentialTTL');
    rejectsWith({ ssoAuthType: ['password'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoAuthType');
    rejectsWith({ ssoUserStatus: ['unlock'] }, 'SSO_ATTRIBUTE_INVALID', 'ssoUserStatus');
    rejectsWith({ ssoRoleName: ['x'.repeat(33)] }, 'SSO_ATTRIBUTE_INVALID', 'ssoRoleName');
    rejectsWith({ userCertificate: ['not der'] }, 'SSO_ATTRIBUTE_INVALID', 'userCertificate');
    rejectsWith({ mail: [DER] }, 'SSO_ATTRIBUTE_INVALID', 'mail');
  });
});

void describe('generalized time and credential TTL', () => {
  void it('parses Z and offset forms and formats GMT', () => {
    assert.equal(
      parseGeneralizedTime('20000101000000Z')?.toISOString(),
      '2000-01-01T00:00:00.000Z',
    );
    assert.equal(
      parseGeneralizedTime('20000101090000+0900')?.toISOString(),
      '2000-01-01T00:00:00.000Z',
    );
    assert.equal(parseGeneralizedTime('20000101000000'), undefined);
    assert.equal(parseGeneralizedTime('20000101000000.5Z'), undefined);
    assert.equal(formatGeneralizedTime(new Date('2002-01-01T09:00:00Z')), '20020101090000Z');
  });
  void it('normalises ssoCredentialTTL (EG-319)', () => {
    const ttl = (v: number | undefined) =>
      effectiveCredentialTtl(newSsoUser('uid=a,o=x', 'a', { ssoCredentialTTL: v }), 120);
    assert.deepEqual(
      [ttl(undefined), ttl(0), ttl(1), ttl(29), ttl(30), ttl(1440), ttl(5000)],
      [120, 0, 30, 30, 30, 1440, 1440],
    );
  });
});
