import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ATTRIBUTE_NAMES,
  CredentialType,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  DigitalSignatureAlgorithm,
  ENUMERATION_ALIASES,
  ENUMERATIONS,
  HashingAlgorithm,
  KeyFormatType,
  KMIP_VERSIONS,
  MASKS,
  NameType,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  StorageStatusMask,
  Tag,
  TAG_INFO,
  attributeTag,
  enumValueByName,
  enumValueName,
  enumerationOf,
  maskNames,
  maskOf,
  maskValue,
  tagByName,
  tagInfo,
  tagName,
} from '../../src/kmip/spec/index.ts';
import type { EnumerationName, MaskName, TagName } from '../../src/kmip/spec/index.ts';

const enumerationNames = Object.keys(ENUMERATIONS) as EnumerationName[];
const maskNameList = Object.keys(MASKS) as MaskName[];
const NORMALIZED = /^[A-Z][A-Za-z0-9_]*$/;

describe('known values', () => {
  it('tags', () => {
    assert.equal(Tag.RequestMessage, 0x420078);
    assert.equal(Tag.ResponseMessage, 0x42007b);
    assert.equal(Tag.VendorIdentification, 0x42009d);
    assert.equal(Tag.ProtocolVersionMajor, 0x42006a);
    assert.equal(Tag.BatchItem, 0x42000f);
    assert.equal(Tag.UniqueBatchItemID, 0x420093);
    assert.equal(Tag.X_509CertificateIdentifier, 0x4200b5);
    assert.equal(Tag.PKCS_12FriendlyName, 0x4200fb);
    assert.equal(Tag.IVCounterNonce, 0x42003d);
    assert.equal(Tag.Attributes, 0x420125);
    assert.equal(Tag.PublicProtectionStorageMasks, 0x420165);
  });

  it('enumerations', () => {
    assert.equal(Operation.DiscoverVersions, 0x1e);
    assert.equal(Operation.Query, 0x18);
    assert.equal(Operation.ReKey, 0x04);
    assert.equal(Operation.PKCS_11, 0x33);
    assert.equal(ResultReason.AuthenticationNotSuccessful, 3);
    assert.equal(ResultReason.ItemNotFound, 1);
    assert.equal(ResultReason.GeneralFailure, 0x100);
    assert.equal(ResultStatus.Success, 0);
    assert.equal(QueryFunction.QueryServerInformation, 3);
    assert.equal(QueryFunction.QueryRNGs, 8);
    assert.equal(CryptographicAlgorithm.AES, 3);
    assert.equal(CryptographicAlgorithm.DES3, 2);
    assert.equal(CryptographicAlgorithm.HMAC_SHA256, 9);
    assert.equal(ObjectType.SymmetricKey, 2);
    assert.equal(ObjectType.OpaqueObject, 8);
    assert.equal(KeyFormatType.PKCS_1, 3);
    assert.equal(KeyFormatType.X_509, 5);
    assert.equal(HashingAlgorithm.SHA_256, 6);
    assert.equal(NameType.UninterpretedTextString, 1);
    assert.equal(CredentialType.UsernameAndPassword, 1);
  });

  it('masks', () => {
    assert.equal(CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt, 12);
    assert.equal(CryptographicUsageMask.CRLSign, 0x2000);
    assert.equal(StorageStatusMask.OnLineStorage, 1);
  });

  it('version labels', () => {
    assert.deepEqual(KMIP_VERSIONS, ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0']);
    assert.equal(tagInfo(Tag.RequestMessage)?.since, '1.0');
    assert.equal(tagInfo(Tag.ExtensionInformation)?.since, '1.1');
    assert.equal(tagInfo(Tag.Attributes)?.since, '2.0');
    const discover = ENUMERATIONS.Operation.find((e) => e.value === Operation.DiscoverVersions);
    assert.equal(discover?.since, '1.1');
    const sensitive = ENUMERATIONS.ResultReason.find((e) => e.name === 'Sensitive');
    assert.equal(sensitive?.since, '1.4');
  });
});

describe('table integrity', () => {
  it('tags: values and names are unique, sorted, normalized, and match Tag', () => {
    const values = new Set<number>();
    const names = new Set<string>();
    let previous = -1;
    for (const info of TAG_INFO) {
      assert.ok(!values.has(info.value), `duplicate tag value ${info.value.toString(16)}`);
      assert.ok(!names.has(info.name), `duplicate tag name ${info.name}`);
      values.add(info.value);
      names.add(info.name);
      assert.ok(info.value > previous, 'TAG_INFO is sorted by value');
      previous = info.value;
      assert.match(info.name, NORMALIZED);
      assert.equal(info.value >>> 16, 0x42, `${info.name} is a KMIP-defined tag`);
      assert.equal(Tag[info.name], info.value);
      assert.ok(KMIP_VERSIONS.includes(info.since));
    }
    assert.equal(Object.keys(Tag).length, TAG_INFO.length);
  });

  it('every enumeration / mask reference resolves', () => {
    for (const info of TAG_INFO) {
      if (info.enumeration !== undefined) assert.ok(info.enumeration in ENUMERATIONS);
      if (info.mask !== undefined) assert.ok(info.mask in MASKS);
      assert.ok(info.enumeration === undefined || info.mask === undefined);
    }
    const tagOf = (name: TagName): number => Tag[name];
    assert.equal(enumerationOf(tagOf('Operation')), 'Operation');
    assert.equal(enumerationOf(tagOf('ResultReason')), 'ResultReason');
    assert.equal(enumerationOf(tagOf('MaskGeneratorHashingAlgorithm')), 'HashingAlgorithm');
    assert.equal(maskOf(tagOf('CryptographicUsageMask')), 'CryptographicUsageMask');
    assert.equal(maskOf(tagOf('StorageStatusMask')), 'StorageStatusMask');
    assert.equal(maskOf(tagOf('ProtectionStorageMask')), 'ProtectionStorageMask');
    // Every enumeration except Data (whose tag is a Byte String) belongs to some tag.
    const used = new Set(TAG_INFO.map((i) => i.enumeration));
    assert.deepEqual(
      enumerationNames.filter((n) => !used.has(n)),
      ['Data'],
    );
    const usedMasks = new Set(TAG_INFO.map((i) => i.mask));
    assert.deepEqual(
      maskNameList.filter((n) => !usedMasks.has(n)),
      [],
    );
  });

  it('enumerations: unique names and values, sorted, and equal to the const tables', async () => {
    const spec = (await import('../../src/kmip/spec/enumerations.ts')) as unknown as Record<
      string,
      Readonly<Record<string, number>>
    >;
    for (const name of enumerationNames) {
      const entries = ENUMERATIONS[name];
      assert.ok(entries.length > 0, name);
      const table = spec[name];
      assert.ok(table !== undefined, `const table ${name}`);
      assert.equal(Object.keys(table).length, entries.length, name);
      const names = new Set<string>();
      let previous = -1;
      for (const entry of entries) {
        assert.match(entry.name, NORMALIZED);
        assert.ok(!names.has(entry.name), `${name}.${entry.name} duplicated`);
        names.add(entry.name);
        assert.ok(entry.value > previous, `${name} sorted and unique by value`);
        previous = entry.value;
        assert.ok(Number.isInteger(entry.value) && entry.value >= 0 && entry.value <= 0xffffffff);
        assert.equal(table[entry.name], entry.value);
        assert.ok(KMIP_VERSIONS.includes(entry.since));
      }
      for (const alias of ENUMERATION_ALIASES[name] ?? []) {
        assert.ok(!names.has(alias.name), `alias ${alias.name} shadows a name`);
        assert.ok(
          entries.some((e) => e.value === alias.value),
          `alias ${alias.name} value`,
        );
      }
    }
  });

  it('masks: single bits, unique names, and equal to the const tables', async () => {
    const spec = (await import('../../src/kmip/spec/masks.ts')) as unknown as Record<
      string,
      Readonly<Record<string, number>>
    >;
    for (const name of maskNameList) {
      const table = spec[name];
      assert.ok(table !== undefined);
      let previous = 0;
      for (const bit of MASKS[name]) {
        assert.ok(bit.value > previous);
        previous = bit.value;
        assert.equal(bit.value & (bit.value - 1), 0, `${name}.${bit.name} is one bit`);
        assert.equal(table[bit.name], bit.value);
      }
      assert.equal(Object.keys(table).length, MASKS[name].length);
    }
  });

  it('attribute names point at existing tags', () => {
    const seen = new Set<string>();
    for (const [text, tag] of ATTRIBUTE_NAMES) {
      assert.ok(!seen.has(text), text);
      seen.add(text);
      assert.equal(attributeTag(text), Tag[tag]);
    }
  });
});

describe('lookups round-trip', () => {
  it('tags', () => {
    for (const info of TAG_INFO) {
      assert.equal(tagName(info.value), info.name);
      assert.equal(tagByName(info.name), info.value);
      assert.equal(tagInfo(info.value), info);
      assert.equal(enumerationOf(info.value), info.enumeration);
      assert.equal(maskOf(info.value), info.mask);
    }
  });

  it('enumeration values of every Enumeration tag', () => {
    for (const info of TAG_INFO) {
      if (info.enumeration === undefined) continue;
      for (const entry of ENUMERATIONS[info.enumeration]) {
        assert.equal(enumValueName(info.value, entry.value), entry.name);
        assert.equal(enumValueByName(info.value, entry.name), entry.value);
      }
      for (const alias of ENUMERATION_ALIASES[info.enumeration] ?? []) {
        assert.equal(enumValueByName(info.value, alias.name), alias.value);
        assert.notEqual(enumValueName(info.value, alias.value), alias.name);
      }
    }
  });

  it('aliases: the later-version name wins, the older one is accepted', () => {
    assert.equal(enumValueName(Tag.HashingAlgorithm, 0x0e), 'SHA3_224');
    assert.equal(enumValueByName(Tag.HashingAlgorithm, 'SHA_3_224'), 0x0e);
    assert.equal(DigitalSignatureAlgorithm.SHA_256WithRSAEncryption, 5);
    assert.equal(enumValueName(Tag.DigitalSignatureAlgorithm, 5), 'SHA_256WithRSAEncryption');
    assert.equal(
      enumValueByName(Tag.DigitalSignatureAlgorithm, 'SHA_256WithRSAEncryptionPKCS_1V1_5'),
      5,
    );
  });

  it('every mask bit, and combinations', () => {
    for (const info of TAG_INFO) {
      if (info.mask === undefined) continue;
      let all = 0;
      const allNames: string[] = [];
      for (const bit of MASKS[info.mask]) {
        assert.deepEqual(maskNames(info.value, bit.value), [bit.name]);
        assert.equal(maskValue(info.value, [bit.name]), bit.value);
        all = (all | bit.value) >>> 0;
        allNames.push(bit.name);
      }
      assert.deepEqual(maskNames(info.value, all), allNames);
      assert.equal(maskValue(info.value, allNames), all);
      assert.deepEqual(maskNames(info.value, 0), []);
      assert.equal(maskValue(info.value, []), 0);
    }
    const usage = Tag.CryptographicUsageMask;
    assert.deepEqual(maskNames(usage, 12), ['Encrypt', 'Decrypt']);
    assert.equal(maskValue(usage, ['Decrypt', 'Encrypt']), 12);
    assert.equal(maskValue(usage, ['Encrypt', 'Encrypt']), 4);
  });

  it('attribute names', () => {
    assert.equal(attributeTag('Cryptographic Algorithm'), Tag.CryptographicAlgorithm);
    assert.equal(attributeTag('Cryptographic Usage Mask'), Tag.CryptographicUsageMask);
    assert.equal(attributeTag('Object Type'), Tag.ObjectType);
    assert.equal(attributeTag('State'), Tag.State);
    assert.equal(attributeTag('Name'), Tag.Name);
    assert.equal(attributeTag('Cryptographic Length'), Tag.CryptographicLength);
    assert.equal(attributeTag('X.509 Certificate Subject'), Tag.X_509CertificateSubject);
    assert.equal(attributeTag('PKCS#12 Friendly Name'), Tag.PKCS_12FriendlyName);
    assert.equal(
      enumerationOf(attributeTag('Cryptographic Algorithm') ?? 0),
      'CryptographicAlgorithm',
    );
    assert.equal(maskOf(attributeTag('Cryptographic Usage Mask') ?? 0), 'CryptographicUsageMask');
  });
});

describe('unknown inputs give undefined', () => {
  it('tags', () => {
    assert.equal(tagName(0x420000), undefined);
    assert.equal(tagName(0x540001), undefined);
    assert.equal(tagName(-1), undefined);
    assert.equal(tagInfo(0x42ffff), undefined);
    assert.equal(tagByName('Protocol Version Major'), undefined);
    assert.equal(tagByName('PROTOCOL_VERSION_MAJOR'), undefined);
    assert.equal(tagByName('protocolVersionMajor'), undefined);
    assert.equal(tagByName(''), undefined);
    assert.equal(tagByName('toString'), undefined);
    assert.equal(tagByName('__proto__'), undefined);
  });

  it('enumerations', () => {
    assert.equal(enumerationOf(Tag.VendorIdentification), undefined);
    assert.equal(enumerationOf(0x123456), undefined);
    assert.equal(enumValueName(Tag.Operation, 0xffff), undefined);
    assert.equal(enumValueName(Tag.Operation, 0x80000001), undefined);
    assert.equal(enumValueName(Tag.VendorIdentification, 1), undefined);
    assert.equal(enumValueByName(Tag.Operation, 'Nope'), undefined);
    assert.equal(enumValueByName(Tag.Operation, 'Discover Versions'), undefined);
    assert.equal(enumValueByName(Tag.Operation, 'constructor'), undefined);
    assert.equal(enumValueByName(Tag.ObjectType, 'DiscoverVersions'), undefined);
    assert.equal(enumValueByName(0x123456, 'Create'), undefined);
  });

  it('masks', () => {
    assert.equal(maskOf(Tag.Operation), undefined);
    assert.equal(maskNames(Tag.Operation, 1), undefined);
    assert.equal(maskNames(Tag.CryptographicUsageMask, 0x01000000), undefined);
    assert.equal(maskNames(Tag.CryptographicUsageMask, 0x80000001), undefined);
    assert.equal(maskNames(Tag.StorageStatusMask, 8), undefined);
    assert.equal(maskNames(Tag.CryptographicUsageMask, 1.5), undefined);
    assert.equal(maskValue(Tag.CryptographicUsageMask, ['Encrypt', 'Bogus']), undefined);
    assert.equal(maskValue(Tag.Operation, ['Encrypt']), undefined);
  });

  it('attribute names', () => {
    assert.equal(attributeTag('x-custom'), undefined);
    assert.equal(attributeTag('y-custom'), undefined);
    assert.equal(attributeTag('CryptographicAlgorithm'), undefined);
    assert.equal(attributeTag('cryptographic algorithm'), undefined);
    assert.equal(attributeTag(''), undefined);
  });
});
