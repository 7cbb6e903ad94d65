// Sekisho's KmipClient against Sekisho's own KMIP server (KmipTlsServer + KmipServerCore),
// both in this process, over real TLS sockets on loopback.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BatchErrorContinuationOption,
  CryptographicAlgorithm,
  CryptographicUsageMask,
  KeyFormatType,
  KmipClient,
  KmipOperationError,
  ObjectType,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  RevocationReasonCode,
  SERVER_OPERATIONS,
  SecretDataType,
  SqliteObjectStore,
  State,
  Tag,
  attr,
  decodeTtlv,
  encodeRequest,
  encodeTtlv,
  formatVersion,
  makeIdentity,
  nameText,
  parseResponse,
  queryRequestPayload,
  serverInformationPairs,
} from '../../src/kmip/index.ts';
import type { BatchRequest, KmipClientOptions, TtlvStructure } from '../../src/kmip/index.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import {
  clientOptions,
  issueClientCert,
  kmipFailure,
  startInProcessServer,
} from './net-helpers.ts';
import type { ClientCredentials, InProcessServer } from './net-helpers.ts';

const V14 = { major: 1, minor: 4 } as const;

/** A request payload holding only a Unique Identifier (Get, Activate, Destroy). */
function uidPayload(uid: string): TtlvStructure {
  return {
    tag: Tag.RequestPayload,
    type: 'Structure',
    value: [{ tag: Tag.UniqueIdentifier, type: 'TextString', value: uid }],
  };
}

/** Get of an object that does not exist, then Query: the first item fails. */
const FAILING_BATCH: readonly BatchRequest[] = [
  { operation: Operation.Get, payload: uidPayload('no-such-object') },
  {
    operation: Operation.Query,
    payload: queryRequestPayload([QueryFunction.QueryServerInformation]),
  },
];

const MASK = CryptographicUsageMask.Encrypt | CryptographicUsageMask.Decrypt;

describe('KmipClient against the Sekisho KMIP server', () => {
  let pki: TestPki;
  const servers: InProcessServer[] = [];
  const clients: KmipClient[] = [];
  let main: InProcessServer;
  let client: KmipClient;
  let second: ClientCredentials;

  const newClient = (
    srv: InProcessServer,
    extra: Partial<KmipClientOptions> = {},
    creds?: ClientCredentials,
  ): KmipClient => {
    const c = new KmipClient(clientOptions(pki, srv.port, extra, creds));
    clients.push(c);
    return c;
  };
  const newServer = async (
    o: Parameters<typeof startInProcessServer>[1] = {},
  ): Promise<InProcessServer> => {
    const s = await startInProcessServer(pki, o);
    servers.push(s);
    return s;
  };

  before(async () => {
    pki = makeTestPki();
    second = issueClientCert(pki, 'sekisho-second-client');
    main = await newServer({ identity: makeIdentity({ softwareVersion: '9.8.7' }) });
    client = newClient(main);
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.close();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  describe('the PyKMIP interop sequence', () => {
    let uid: string;

    test('negotiateVersion picks 1.4', async () => {
      assert.deepEqual(await client.negotiateVersion(), V14);
    });

    test('discoverVersions() lists 1.4 down to 1.0; [1.4, 9.31] answers [1.4]', async () => {
      assert.deepEqual((await client.discoverVersions()).map(formatVersion), [
        '1.4',
        '1.3',
        '1.2',
        '1.1',
        '1.0',
      ]);
      assert.deepEqual(
        await client.discoverVersions([
          { major: 1, minor: 4 },
          { major: 9, minor: 31 },
        ]),
        [V14],
      );
    });

    test('query() reports the generic vendor, the operations and object types', async () => {
      const q = await client.query();
      assert.equal(q.vendorIdentification, 'Sekisho 9.8.7 KMIP Server');
      assert.equal(q.serverInformation, undefined, 'the generic profile sends none');
      assert.deepEqual(q.operations, SERVER_OPERATIONS);
      assert.ok(q.operations.includes(Operation.DiscoverVersions));
      assert.ok(q.objectTypes.includes(ObjectType.SymmetricKey));
      assert.ok(q.objectTypes.includes(ObjectType.SecretData));
    });

    test('the connection is TLS 1.2 or later with the server certificate verified', () => {
      assert.match(client.tls?.protocol ?? '', /^TLSv1\.[23]$/);
      assert.equal(client.tls?.peerCertificate?.subject.CN, 'localhost');
    });

    test('createSymmetricKey AES-256, get returns 32 key bytes AES/256', async () => {
      uid = await client.createSymmetricKey({
        algorithm: CryptographicAlgorithm.AES,
        length: 256,
        usageMask: MASK,
        name: 'sekisho-key-1',
      });
      const got = await client.get(uid);
      assert.equal(got.uniqueIdentifier, uid);
      assert.equal(got.objectType, ObjectType.SymmetricKey);
      assert.equal(got.object.kind, 'SymmetricKey');
      assert.equal(got.object.keyBlock.keyFormatType, KeyFormatType.Raw);
      assert.equal(got.object.keyBlock.keyMaterial.length, 32);
      assert.equal(got.object.keyBlock.cryptographicAlgorithm, CryptographicAlgorithm.AES);
      assert.equal(got.object.keyBlock.cryptographicLength, 256);
    });

    test('getAttributes returns the attributes and a Pre-Active state', async () => {
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
        value: MASK,
      });
      assert.deepEqual(byName.get('State'), {
        tag: Tag.AttributeValue,
        type: 'Enumeration',
        value: State.PreActive,
      });
      assert.deepEqual(r.attributes.map(nameText).filter(Boolean), ['sekisho-key-1']);
      const only = await client.getAttributes(uid, ['Object Type']);
      assert.deepEqual(
        only.attributes.map((a) => [a.name, a.value.value]),
        [['Object Type', ObjectType.SymmetricKey]],
      );
    });

    test('locate by Name finds it', async () => {
      assert.deepEqual(await client.locate({ attributes: [attr.name('sekisho-key-1')] }), [uid]);
      assert.deepEqual(await client.locate({ attributes: [attr.name('no-such-name')] }), []);
    });

    test('a second client identity gets Permission Denied for the key', async () => {
      const other = newClient(main, {}, second);
      const e = await kmipFailure(other.get(uid));
      assert.ok(e instanceof KmipOperationError, String(e));
      assert.equal(e.resultReason, ResultReason.PermissionDenied);
      const d = await kmipFailure(other.destroy(uid));
      assert.ok(d instanceof KmipOperationError, String(d));
      assert.equal(d.resultReason, ResultReason.PermissionDenied);
      assert.deepEqual(await other.locate({ attributes: [attr.name('sekisho-key-1')] }), []);
      // The owner still has it, untouched.
      assert.equal((await client.get(uid)).uniqueIdentifier, uid);
    });

    test('activate; activating again is Permission Denied', async () => {
      assert.equal(await client.activate(uid), uid);
      const e = await kmipFailure(client.activate(uid));
      assert.ok(e instanceof KmipOperationError, String(e));
      assert.equal(e.resultReason, ResultReason.PermissionDenied);
      assert.equal(e.operation, Operation.Activate);
    });

    test('destroying an Active key is Permission Denied', async () => {
      const e = await kmipFailure(client.destroy(uid));
      assert.ok(e instanceof KmipOperationError, String(e));
      assert.equal(e.resultReason, ResultReason.PermissionDenied);
      assert.equal((await client.get(uid)).uniqueIdentifier, uid, 'the key survived');
    });

    test('revoke (Cessation of Operation) deactivates it', async () => {
      assert.equal(
        await client.revoke({
          uniqueIdentifier: uid,
          reasonCode: RevocationReasonCode.CessationOfOperation,
        }),
        uid,
      );
      const r = await client.getAttributes(uid, ['State']);
      assert.deepEqual(
        r.attributes.map((a) => a.value.value),
        [State.Deactivated],
      );
    });

    test('destroy, then get fails with Item Not Found', async () => {
      assert.equal(await client.destroy(uid), uid);
      const e = await kmipFailure(client.get(uid));
      assert.ok(e instanceof KmipOperationError, String(e));
      assert.equal(e.resultReason, ResultReason.ItemNotFound);
      assert.deepEqual(await client.locate({ attributes: [attr.name('sekisho-key-1')] }), []);
    });
  });

  test('Register of Secret Data, then Get returns the same bytes; Locate by type and name', async () => {
    const secret = Buffer.from('correct horse battery staple, not a real password');
    const sid = await client.register(
      {
        kind: 'SecretData',
        secretDataType: SecretDataType.Password,
        keyBlock: { keyFormatType: KeyFormatType.Opaque, keyMaterial: secret },
      },
      [attr.name('sekisho-secret'), attr.cryptographicUsageMask(CryptographicUsageMask.Export)],
    );
    const got = await client.get(sid);
    assert.equal(got.objectType, ObjectType.SecretData);
    assert.equal(got.object.kind, 'SecretData');
    assert.equal(got.object.secretDataType, SecretDataType.Password);
    assert.equal(got.object.keyBlock.keyFormatType, KeyFormatType.Opaque);
    assert.deepEqual(Buffer.from(got.object.keyBlock.keyMaterial), secret);

    const keyUid = await client.createSymmetricKey({
      algorithm: CryptographicAlgorithm.AES,
      length: 128,
      usageMask: MASK,
    });
    assert.deepEqual(
      await client.locate({ attributes: [attr.objectType(ObjectType.SecretData)] }),
      [sid],
    );
    assert.ok(
      (await client.locate({ attributes: [attr.objectType(ObjectType.SymmetricKey)] })).includes(
        keyUid,
      ),
    );
    assert.deepEqual(await client.locate({ attributes: [attr.name('sekisho-secret')] }), [sid]);
    assert.deepEqual(
      await client.locate({
        attributes: [attr.objectType(ObjectType.SymmetricKey), attr.name('sekisho-secret')],
      }),
      [],
      'every attribute must match',
    );
  });

  describe('batches', () => {
    test('the server stops a Stop batch after the first failure', async () => {
      const version = await client.negotiateVersion();
      const raw = await client.roundTrip(
        encodeTtlv(
          encodeRequest({
            header: {
              protocolVersion: version,
              batchErrorContinuationOption: BatchErrorContinuationOption.Stop,
            },
            batchItems: FAILING_BATCH.map((it, i) => ({
              ...it,
              uniqueBatchItemId: Uint8Array.of(i + 1),
            })),
          }),
        ),
      );
      const r = parseResponse(decodeTtlv(raw));
      assert.equal(r.batchItems.length, 1);
      assert.equal(r.batchItems[0]!.operation, Operation.Get);
      assert.deepEqual(r.batchItems[0]!.uniqueBatchItemId, Uint8Array.of(1));
      assert.equal(r.batchItems[0]!.resultReason, ResultReason.ItemNotFound);
    });

    test('sendBatch accepts the shortened answer of a Stop batch', async () => {
      const r = await client.sendBatch(FAILING_BATCH, {
        batchErrorContinuationOption: BatchErrorContinuationOption.Stop,
      });
      assert.deepEqual(
        r.batchItems.map((i) => [i.operation, i.resultStatus, i.resultReason]),
        [[Operation.Get, ResultStatus.OperationFailed, ResultReason.ItemNotFound]],
      );
    });

    test('a Continue batch runs every item', async () => {
      const r = await client.sendBatch(FAILING_BATCH, {
        batchErrorContinuationOption: BatchErrorContinuationOption.Continue,
      });
      assert.deepEqual(
        r.batchItems.map((i) => [i.operation, i.resultStatus, i.resultReason]),
        [
          [Operation.Get, ResultStatus.OperationFailed, ResultReason.ItemNotFound],
          [Operation.Query, ResultStatus.Success, undefined],
        ],
      );
    });
  });

  test('a protocol version 3.0 header gets Invalid Message in a 1.0 response', async () => {
    const r = await client.sendBatch(
      [
        {
          operation: Operation.Query,
          payload: queryRequestPayload([QueryFunction.QueryOperations]),
        },
      ],
      { version: { major: 3, minor: 0 } },
    );
    assert.deepEqual(r.header.protocolVersion, { major: 1, minor: 0 });
    assert.equal(r.batchItems.length, 1);
    const item = r.batchItems[0]!;
    assert.equal(item.operation, undefined);
    assert.equal(item.resultStatus, ResultStatus.OperationFailed);
    assert.equal(item.resultReason, ResultReason.InvalidMessage);
    assert.match(item.resultMessage ?? '', /3\.0/);
  });

  test('Discover Versions at 1.0 is Operation Not Supported', async () => {
    const e = await kmipFailure(client.discoverVersions(undefined, { major: 1, minor: 0 }));
    assert.ok(e instanceof KmipOperationError, String(e));
    assert.equal(e.resultReason, ResultReason.OperationNotSupported);
    assert.equal(e.operation, Operation.DiscoverVersions);
  });

  test('the isklm profile reports the ISKLM vendor and ServerType in Server Information', async () => {
    const srv = await newServer({ identity: makeIdentity({ profile: 'isklm' }) });
    const q = await newClient(srv).query();
    assert.equal(q.vendorIdentification, 'IBM Security Key Lifecycle Manager 4.1.1.0');
    assert.ok(q.serverInformation, 'Server Information present');
    assert.equal(q.serverInformation.tag, Tag.ServerInformation);
    const pairs = serverInformationPairs(q.serverInformation);
    assert.equal(pairs.get('ServerType'), 'master');
    assert.equal(pairs.get('Version'), '4.1.1.0');

    const clone = await newServer({
      identity: makeIdentity({ profile: 'isklm', serverType: 'clone', isklmVersion: '4.2.0.1' }),
    });
    const q2 = await newClient(clone).query([QueryFunction.QueryServerInformation]);
    assert.equal(q2.vendorIdentification, 'IBM Security Key Lifecycle Manager 4.2.0.1');
    assert.equal(serverInformationPairs(q2.serverInformation).get('ServerType'), 'clone');
    assert.deepEqual(q2.operations, [], 'only the asked Query Function is answered');
  });

  describe('a server whose highest version is 1.2', () => {
    let old: InProcessServer;
    before(async () => {
      old = await newServer({ identity: makeIdentity({ maxProtocolVersion: '1.2' }) });
    });

    test('negotiateVersion picks 1.2', async () => {
      const c = newClient(old);
      assert.deepEqual(await c.negotiateVersion(), { major: 1, minor: 2 });
      const q = await c.query([QueryFunction.QueryServerInformation]);
      assert.match(q.vendorIdentification ?? '', /^Sekisho /);
    });

    test('a client with minProtocolVersion 1.3 fails KMIP_VERSION_UNSUPPORTED', async () => {
      const c = newClient(old, { minProtocolVersion: { major: 1, minor: 3 } });
      const e = await kmipFailure(c.negotiateVersion());
      assert.equal(e.code, 'KMIP_VERSION_UNSUPPORTED', e.message);
    });
  });

  test('SqliteObjectStore keeps a key across a server restart', async () => {
    const db = path.join(pki.dir, 'objects.db');
    const first = await newServer({ store: new SqliteObjectStore(db) });
    const c1 = newClient(first);
    const id = await c1.createSymmetricKey({
      algorithm: CryptographicAlgorithm.AES,
      length: 256,
      usageMask: MASK,
      name: 'persistent',
    });
    const before = await c1.get(id);
    c1.close();
    await first.close();

    const restarted = await newServer({ store: new SqliteObjectStore(db) });
    assert.notEqual(restarted.port, 0);
    const c2 = newClient(restarted);
    const after = await c2.get(id);
    assert.equal(after.object.kind, 'SymmetricKey');
    assert.equal(before.object.kind, 'SymmetricKey');
    assert.equal(after.object.keyBlock.keyMaterial.length, 32);
    assert.deepEqual(after.object.keyBlock.keyMaterial, before.object.keyBlock.keyMaterial);
    assert.deepEqual(await c2.locate({ attributes: [attr.name('persistent')] }), [id]);
  });
});
