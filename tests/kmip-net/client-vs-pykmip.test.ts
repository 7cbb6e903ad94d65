// Sekisho's KmipClient against a real PyKMIP 0.10 server on loopback (one server for the file).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KmipClient,
  KmipOperationError,
  KmipTransportError,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  State,
  attr,
  discoverVersionsPayload,
  formatVersion,
  nameText,
  queryRequestPayload,
  Tag,
} from '../../src/kmip/index.ts';
import type { KmipClientOptions } from '../../src/kmip/index.ts';
import { startPyKmipServer } from '../helpers/pykmip-server.ts';
import type { PyKmipServer } from '../helpers/pykmip-server.ts';
import { clientOptions, kmipFailure, pem } from './net-helpers.ts';

/** What PyKMIP 0.10 lists for Query Operations at protocol 1.2 and above (18 entries). */
const PYKMIP_OPERATIONS = [
  Operation.Create,
  Operation.CreateKeyPair,
  Operation.Register,
  Operation.DeriveKey,
  Operation.Locate,
  Operation.Get,
  Operation.GetAttributes,
  Operation.GetAttributeList,
  Operation.Activate,
  Operation.Revoke,
  Operation.Destroy,
  Operation.Query,
  Operation.DiscoverVersions,
  Operation.Encrypt,
  Operation.Decrypt,
  Operation.Sign,
  Operation.SignatureVerify,
  Operation.MAC,
];

const KEY_NAME = `sekisho-client-vs-pykmip-${process.pid}`;

describe('KmipClient against PyKMIP 0.10', () => {
  let server: PyKmipServer;
  const clients: KmipClient[] = [];
  const newClient = (
    extra: Partial<KmipClientOptions> = {},
    creds?: { cert: string; key: string },
  ): KmipClient => {
    const c = new KmipClient(clientOptions(server.pki, server.port, extra, creds));
    clients.push(c);
    return c;
  };
  let client: KmipClient;

  before(async () => {
    server = await startPyKmipServer();
    client = newClient();
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('negotiateVersion picks 1.4', async () => {
    const v = await client.negotiateVersion();
    assert.deepEqual(v, { major: 1, minor: 4 });
    assert.deepEqual(client.protocolVersion, { major: 1, minor: 4 });
  });

  test('discoverVersions() lists 2.0 down to 1.0', async () => {
    const versions = await client.discoverVersions();
    assert.deepEqual(versions.map(formatVersion), ['2.0', '1.4', '1.3', '1.2', '1.1', '1.0']);
  });

  test('discoverVersions([1.4, 9.31]) answers the intersection, 1.4', async () => {
    const versions = await client.discoverVersions([
      { major: 1, minor: 4 },
      { major: 9, minor: 31 },
    ]);
    assert.deepEqual(versions, [{ major: 1, minor: 4 }]);
  });

  test('query() reports the PyKMIP vendor, 18 operations and no Server Information', async () => {
    const q = await client.query();
    assert.equal(q.vendorIdentification, 'PyKMIP 0.10.0 Software Server');
    assert.equal(q.serverInformation, undefined);
    assert.equal(q.operations.length, 18);
    assert.ok(q.operations.includes(Operation.DiscoverVersions));
    assert.deepEqual(
      [...q.operations].sort((a, b) => a - b),
      [...PYKMIP_OPERATIONS].sort((a, b) => a - b),
    );
    assert.deepEqual(q.objectTypes, []);
  });

  test('the connection is TLS 1.2 with a verified server certificate', async () => {
    await client.connect();
    assert.equal(client.tls?.protocol, 'TLSv1.2');
    assert.equal(client.tls.peerCertificate?.subject.CN, 'localhost');
  });

  describe('key lifecycle', () => {
    let uid: string;

    test('createSymmetricKey AES-256 then get returns 32 key bytes, AES/256', async () => {
      uid = await client.createSymmetricKey({
        algorithm: CryptographicAlgorithm.AES,
        length: 256,
        usageMask: CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt,
        name: KEY_NAME,
      });
      assert.match(uid, /^\d+$/, 'PyKMIP numbers its objects');
      const got = await client.get(uid);
      assert.equal(got.uniqueIdentifier, uid);
      assert.equal(got.objectType, ObjectType.SymmetricKey);
      assert.equal(got.object.kind, 'SymmetricKey');
      assert.equal(got.object.keyBlock.keyMaterial.length, 32);
      assert.equal(got.object.keyBlock.cryptographicAlgorithm, CryptographicAlgorithm.AES);
      assert.equal(got.object.keyBlock.cryptographicLength, 256);
    });

    test('getAttributes returns the algorithm, length, usage mask and name', async () => {
      const r = await client.getAttributes(uid);
      assert.equal(r.uniqueIdentifier, uid);
      const byName = new Map(r.attributes.map((a) => [a.name, a.value]));
      assert.deepEqual(byName.get('Cryptographic Algorithm'), {
        tag: Tag.AttributeValue,
        type: 'Enumeration',
        value: CryptographicAlgorithm.AES,
      });
      assert.deepEqual(byName.get('Cryptographic Length'), {
        tag: Tag.AttributeValue,
        type: 'Integer',
        value: 256,
      });
      assert.deepEqual(byName.get('Cryptographic Usage Mask'), {
        tag: Tag.AttributeValue,
        type: 'Integer',
        value: CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt,
      });
      assert.deepEqual(
        r.attributes.map(nameText).filter((n) => n !== undefined),
        [KEY_NAME],
      );
    });

    test('locate by the Name attribute finds the key', async () => {
      assert.deepEqual(await client.locate({ attributes: [attr.name(KEY_NAME)] }), [uid]);
      assert.deepEqual(await client.locate({ attributes: [attr.name(`${KEY_NAME}-none`)] }), []);
    });

    test('activate makes the key Active', async () => {
      assert.equal(await client.activate(uid), uid);
      const r = await client.getAttributes(uid, ['State']);
      assert.deepEqual(
        r.attributes.map((a) => a.value),
        [{ tag: Tag.AttributeValue, type: 'Enumeration', value: State.Active }],
      );
    });

    test('revoke with Cessation of Operation deactivates it', async () => {
      assert.equal(
        await client.revoke({
          uniqueIdentifier: uid,
          reasonCode: RevocationReasonCode.CessationOfOperation,
          message: 'sekisho test',
        }),
        uid,
      );
      const r = await client.getAttributes(uid, ['State']);
      assert.deepEqual(
        r.attributes.map((a) => a.value),
        [{ tag: Tag.AttributeValue, type: 'Enumeration', value: State.Deactivated }],
      );
    });

    test('destroy, then get fails with Item Not Found', async () => {
      assert.equal(await client.destroy(uid), uid);
      const e = await kmipFailure(client.get(uid));
      assert.ok(e instanceof KmipOperationError);
      assert.equal(e.code, 'KMIP_OPERATION_FAILED');
      assert.equal(e.resultStatus, ResultStatus.OperationFailed);
      assert.equal(e.resultReason, ResultReason.ItemNotFound);
      assert.equal(e.operation, Operation.Get);
      assert.match(e.resultMessage ?? '', new RegExp(`Could not locate object: ${uid}`));
    });
  });

  test('a client certificate without EKU clientAuth gets Authentication Not Successful', async () => {
    const c = newClient({}, { cert: pem(server.pki.noEkuCert), key: pem(server.pki.noEkuKey) });
    const e = await kmipFailure(c.query());
    assert.ok(e instanceof KmipOperationError, String(e));
    assert.equal(e.resultReason, ResultReason.AuthenticationNotSuccessful);
    assert.equal(
      e.resultMessage,
      'Error verifying the client certificate. See server logs for more information.',
    );
    assert.ok(e.message.includes(e.resultMessage), e.message);
  });

  test('a client certificate from another CA fails the TLS handshake', async () => {
    const c = newClient(
      {},
      { cert: pem(server.pki.otherClientCert), key: pem(server.pki.otherClientKey) },
    );
    const e = await kmipFailure(c.query());
    assert.ok(e instanceof KmipTransportError, String(e));
    assert.equal(e.stage, 'tls');
    assert.equal(e.code, 'KMIP_TLS_FAILED');
  });

  test('sendBatch of Discover Versions + Query returns two items in order', async () => {
    const r = await client.sendBatch([
      {
        operation: Operation.DiscoverVersions,
        payload: discoverVersionsPayload(Tag.RequestPayload, []),
      },
      {
        operation: Operation.Query,
        payload: queryRequestPayload([QueryFunction.QueryServerInformation]),
      },
    ]);
    assert.deepEqual(r.header.protocolVersion, { major: 1, minor: 4 });
    assert.equal(r.batchItems.length, 2);
    assert.deepEqual(
      r.batchItems.map((i) => [i.operation, i.resultStatus]),
      [
        [Operation.DiscoverVersions, ResultStatus.Success],
        [Operation.Query, ResultStatus.Success],
      ],
    );
    const ids = r.batchItems.map((i) => Buffer.from(i.uniqueBatchItemId ?? []).toString('hex'));
    assert.equal(ids.filter((id) => id.length === 8).length, 2, 'both items echo a 4-byte id');
    assert.notEqual(ids[0], ids[1]);
  });

  test('Maximum Response Size 128 gets Response Too Large', async () => {
    const c = newClient({ maximumResponseSize: 128, protocolVersion: { major: 1, minor: 4 } });
    const e = await kmipFailure(c.query());
    assert.ok(e instanceof KmipOperationError, String(e));
    assert.equal(e.resultReason, ResultReason.ResponseTooLarge);
  });
});
