import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  mappingValue,
  matchStoredCertificate,
  type PresentedCertificate,
} from '../../../src/sso/core/certificate-mapping.ts';
import { issueCertificate, makeCa } from '../../../src/pki/certificates.ts';
import { describeCertificate } from '../../../src/pki/client-certificate.ts';
import {
  CERT_MAPPING_ATTRIBUTES,
  newSsoUser,
  type CertMappingAttribute,
} from '../../../src/sso/core/user.ts';

const DER = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]);

function cert(
  subject: Partial<Record<CertMappingAttribute, readonly string[]>> = {},
  sanEmails: readonly string[] = [],
  der: Uint8Array = DER,
): PresentedCertificate {
  return {
    serialNumber: '01',
    issuerDn: 'CN=Test CA',
    subjectDn: 'CN=Alice',
    subject: {
      cn: [],
      mail: [],
      uid: [],
      serialNumber: [],
      dnQualifier: [],
      employeeNumber: [],
      ...subject,
    },
    sanEmails,
    der,
  };
}

describe('mappingValue', () => {
  it('reads every attribute from the subject', () => {
    const c = cert({
      cn: ['Alice'],
      mail: ['alice@subject.example'],
      uid: ['alice'],
      serialNumber: ['S42'],
      dnQualifier: ['dq'],
      employeeNumber: ['E123'],
    });
    assert.deepEqual(
      CERT_MAPPING_ATTRIBUTES.map((a) => mappingValue(c, a)),
      ['alice@subject.example', 'E123', 'alice', 'S42', 'dq', 'Alice'],
    );
  });

  it('for mail, prefers the SAN rfc822Name over the subject emailAddress', () => {
    const c = cert({ mail: ['alice@subject.example'] }, ['alice@san.example']);
    assert.equal(mappingValue(c, 'mail'), 'alice@san.example');
    assert.equal(
      mappingValue(cert({ mail: ['alice@subject.example'] }), 'mail'),
      'alice@subject.example',
    );
    assert.equal(mappingValue(cert({}, ['alice@san.example']), 'mail'), 'alice@san.example');
  });

  it('for the other attributes, uses the subject even when SAN e-mails exist', () => {
    const c = cert({ uid: ['alice'], cn: ['Alice'] }, ['bob@san.example']);
    assert.equal(mappingValue(c, 'uid'), 'alice');
    assert.equal(mappingValue(c, 'cn'), 'Alice');
  });

  it('gives undefined when the attribute is absent', () => {
    const c = cert({ cn: ['Alice'] }, ['alice@san.example']);
    for (const a of ['uid', 'serialNumber', 'dnQualifier', 'employeeNumber'] as const) {
      assert.equal(mappingValue(c, a), undefined, a);
    }
    assert.equal(mappingValue(cert(), 'mail'), undefined);
  });

  it('gives undefined when the chosen source has several distinct values', () => {
    assert.equal(mappingValue(cert({ cn: ['Alice', 'admin'] }), 'cn'), undefined);
    assert.equal(mappingValue(cert({ uid: ['alice', 'Alice'] }), 'uid'), undefined);
    const twoSan = cert({ mail: ['alice@subject.example'] }, ['a@san.example', 'b@san.example']);
    assert.equal(mappingValue(twoSan, 'mail'), undefined, 'no fallback to the subject');
    assert.equal(mappingValue(cert({}, ['A@san.example', 'a@san.example']), 'mail'), undefined);
    const twoSubject = cert({ mail: ['a@subject.example', 'b@subject.example'] });
    assert.equal(mappingValue(twoSubject, 'mail'), undefined);
  });

  it('ambiguity is judged on the chosen source only; repeats are not ambiguous', () => {
    const c = cert({ mail: ['x@subject.example', 'y@subject.example'] }, ['alice@san.example']);
    assert.equal(mappingValue(c, 'mail'), 'alice@san.example');
    assert.equal(mappingValue(cert({ cn: ['Alice', 'Alice'] }), 'cn'), 'Alice');
  });

  it('maps an empty value to nothing', () => {
    assert.equal(mappingValue(cert({ uid: [''] }), 'uid'), undefined);
    assert.equal(mappingValue(cert({}, ['']), 'mail'), undefined);
  });
});

describe('matchStoredCertificate', () => {
  const other = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x02]);

  it('is true when any stored certificate equals the presented DER', () => {
    const user = newSsoUser('uid=alice,ou=People,o=Example', 'alice', {
      userCertificate: [other, new Uint8Array(DER)],
    });
    assert.equal(matchStoredCertificate(user, cert()), true);
  });

  it('is false for no stored certificate, another one, or a prefix of it', () => {
    const alice = (stored: Uint8Array[]) =>
      newSsoUser('uid=alice,ou=People,o=Example', 'alice', { userCertificate: stored });
    assert.equal(matchStoredCertificate(alice([]), cert()), false);
    assert.equal(matchStoredCertificate(alice([other]), cert()), false);
    assert.equal(matchStoredCertificate(alice([DER.subarray(0, 4)]), cert()), false);
    assert.equal(matchStoredCertificate(alice([DER]), cert({}, [], DER.subarray(0, 4))), false);
  });
});

describe('with certificates read by src/pki', () => {
  it('takes describeCertificate output as it is', async () => {
    const ca = await makeCa('Test CA');
    const { cert } = await issueCertificate(ca, {
      commonName: 'Alice',
      usage: 'client',
      emails: ['alice@san.example'],
      subjectAttributes: [
        { type: 'uid', value: 'alice' },
        { type: 'mail', value: 'alice@subject.example' },
      ],
    });
    const presented: PresentedCertificate = describeCertificate(cert);
    assert.equal(mappingValue(presented, 'mail'), 'alice@san.example');
    assert.equal(mappingValue(presented, 'uid'), 'alice');
    assert.equal(mappingValue(presented, 'cn'), 'Alice');
    const user = newSsoUser('uid=alice,ou=People,o=Example', 'alice', {
      userCertificate: [describeCertificate(cert).der],
    });
    assert.equal(matchStoredCertificate(user, presented), true);
  });
});
