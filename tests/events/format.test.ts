/**
 * The concise and detailed views of lseventlog, to the byte (golden strings for a fixed clock in
 * Asia/Tokyo), and that outside text can never break a line.
 */
// Before anything reads the time zone: the views print the server's local time.
process.env['TZ'] = 'Asia/Tokyo';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  SENSE_BYTES,
  encodeSense,
  epochSeconds,
  eventTimestamp,
  formatEventDetail,
  formatEventList,
  oneLine,
  type EventRecord,
} from '../../src/events/index.ts';

const at = (iso: string): Date => new Date(iso);

/** Event 2: an auto-fixed 086006 on key server 12; event 1: an unfixed 086008, raised twice. */
const FIXED: EventRecord = {
  sequenceNumber: 2,
  firstTimestamp: at('2025-04-01T04:19:05Z'),
  lastTimestamp: at('2025-04-01T04:19:05Z'),
  objectType: 'keyserver',
  objectId: '12',
  objectName: 'isklm-primary',
  copyId: '',
  reportingNodeId: '2',
  reportingNodeName: 'node2',
  eventCount: 1,
  status: 'alert',
  fixed: true,
  autoFixed: true,
  fixedTimestamp: at('2025-04-01T04:20:05Z'),
  notificationType: 'error',
  eventId: '086006',
  errorCode: 1785,
  sense: encodeSense({
    eventId: '086006',
    clientErrorCode: 0,
    resultStatus: 1,
    resultReason: 3,
    resultMessage: 'Authentication Not Successful',
  }),
};

const OPEN: EventRecord = {
  sequenceNumber: 1,
  firstTimestamp: at('2025-04-01T03:04:05Z'),
  lastTimestamp: at('2025-04-01T03:19:05Z'),
  objectType: 'keyserver',
  objectId: '0',
  objectName: 'keyserver0',
  copyId: '',
  reportingNodeId: '1',
  reportingNodeName: 'node1',
  eventCount: 2,
  status: 'alert',
  fixed: false,
  autoFixed: false,
  fixedTimestamp: undefined,
  notificationType: 'error',
  eventId: '086008',
  errorCode: 1785,
  sense: encodeSense({
    eventId: '086008',
    stageCode: 3,
    causeCode: 'ECONNREFUSED',
    message: 'connect ECONNREFUSED 192.0.2.10:5696',
  }),
};

describe('timestamps', () => {
  it('print YYMMDDhhmmss in the local time zone and whole epoch seconds', () => {
    assert.equal(eventTimestamp(at('2025-04-01T03:04:05.999Z')), '250401120405');
    assert.equal(eventTimestamp(at('2009-12-31T15:00:00Z')), '100101000000');
    assert.equal(epochSeconds(at('2025-04-01T03:04:05.999Z')), 1743476645);
  });

  it('follow the zone the process runs in, daylight saving included', () => {
    const saved = process.env['TZ'];
    try {
      process.env['TZ'] = 'America/New_York';
      assert.equal(eventTimestamp(at('2025-01-15T12:00:00Z')), '250115070000');
      assert.equal(eventTimestamp(at('2025-07-15T12:00:00Z')), '250715080000');
    } finally {
      process.env['TZ'] = saved;
    }
    assert.equal(eventTimestamp(at('2025-07-15T12:00:00Z')), '250715210000');
  });
});

describe('concise view', () => {
  it('aligns columns to the widest value plus one space', () => {
    assert.equal(
      formatEventList([FIXED, OPEN], { lang: 'en' }),
      [
        'sequence_number last_timestamp object_type object_id object_name   copy_id status fixed event_id error_code description',
        '2               250401131905   keyserver   12        isklm-primary         alert  yes   086006   1785       The key server reported a KMIP error',
        '1               250401121905   keyserver   0         keyserver0            alert  no    086008   1785       The connection to the key server failed',
        '',
      ].join('\n'),
    );
  });

  it('joins values with -delim and describes in Japanese', () => {
    assert.equal(
      formatEventList([FIXED, OPEN], { lang: 'ja', delim: ':' }),
      [
        'sequence_number:last_timestamp:object_type:object_id:object_name:copy_id:status:fixed:event_id:error_code:description',
        '2:250401131905:keyserver:12:isklm-primary::alert:yes:086006:1785:鍵サーバーが KMIP エラーを報告しました',
        '1:250401121905:keyserver:0:keyserver0::alert:no:086008:1785:鍵サーバーへの接続に失敗しました',
        '',
      ].join('\n'),
    );
  });

  it('omits the header with -nohdr, and widths follow the rows only', () => {
    assert.equal(
      formatEventList([OPEN], { lang: 'en', nohdr: true }),
      '1 250401121905 keyserver 0 keyserver0  alert no 086008 1785 The connection to the key server failed\n',
    );
    assert.equal(
      formatEventList([OPEN], { lang: 'en', nohdr: true, delim: ',' }),
      '1,250401121905,keyserver,0,keyserver0,,alert,no,086008,1785,The connection to the key server failed\n',
    );
  });

  it('prints the header alone for an empty log, and nothing with -nohdr', () => {
    assert.equal(
      formatEventList([], { lang: 'en' }),
      'sequence_number last_timestamp object_type object_id object_name copy_id status fixed event_id error_code description\n',
    );
    assert.equal(formatEventList([], { lang: 'en', nohdr: true }), '');
    assert.equal(formatEventList([], { lang: 'en', nohdr: true, delim: ':' }), '');
  });
});

describe('detailed view', () => {
  it('prints every field in order, blank values blank, texts last', () => {
    assert.equal(
      formatEventDetail(FIXED, { lang: 'en' }),
      [
        'sequence_number 2',
        'first_timestamp 250401131905',
        'first_timestamp_epoch 1743481145',
        'last_timestamp 250401131905',
        'last_timestamp_epoch 1743481145',
        'object_type keyserver',
        'object_id 12',
        'object_name isklm-primary',
        'copy_id ',
        'reporting_node_id 2',
        'reporting_node_name node2',
        'event_count 1',
        'status alert',
        'fixed yes',
        'auto_fixed yes',
        'notification_type error',
        'event_id 086006',
        'event_id_text The key server reported a KMIP error',
        'error_code 1785',
        'error_code_text A problem occurred with the key server',
        'fixed_timestamp 250401132005',
        'fixed_timestamp_epoch 1743481205',
        'sense1 00000000000000010000000341757468',
        'sense2 656e7469636174696f6e204e6f742053',
        'sense3 75636365737366756c00000000000000',
        'sense4 00000000000000000000000000000000',
        'sense5 00000000000000000000000000000000',
        'sense6 00000000000000000000000000000000',
        'sense7 00000000000000000000000000000000',
        'sense8 00000000000000000000000000000000',
        'meaning While the key server was being validated, the server reported a non-zero KMIP error code. Because the key server can report a variety of KMIP error codes, the sense data contains the following additional information about the error.',
        '    • KMIP error code',
        '    • KMIP result status',
        '    • KMIP result reason',
        '    • An error string containing the KMIP result message',
        'user_action 1. The key server reported a server-side problem. The sense data of this event contains detailed information that helps to identify the problem on the key server. To check whether the problem has been fixed, run the testkeyserver command. The testkeyserver command either fixes the error automatically or raises the event again.',
        '  2. Make sure that the cluster certificate has been accepted on the key server. For details, search the product documentation for "Certificates used for key servers".',
        '  3. Make sure that ISKLM is configured to use TLS v1.2. Otherwise, SSL connection errors can occur.',
        '',
      ].join('\n'),
    );
  });

  it('separates name and value with -delim, in Japanese', () => {
    assert.equal(
      formatEventDetail(OPEN, { lang: 'ja', delim: ':' }),
      [
        'sequence_number:1',
        'first_timestamp:250401120405',
        'first_timestamp_epoch:1743476645',
        'last_timestamp:250401121905',
        'last_timestamp_epoch:1743477545',
        'object_type:keyserver',
        'object_id:0',
        'object_name:keyserver0',
        'copy_id:',
        'reporting_node_id:1',
        'reporting_node_name:node1',
        'event_count:2',
        'status:alert',
        'fixed:no',
        'auto_fixed:no',
        'notification_type:error',
        'event_id:086008',
        'event_id_text:鍵サーバーへの接続に失敗しました',
        'error_code:1785',
        'error_code_text:鍵サーバーに関して問題が発生しました',
        'fixed_timestamp:',
        'fixed_timestamp_epoch:',
        'sense1:000000030000000045434f4e4e524546',
        'sense2:55534544000000000000000000000000',
        'sense3:0000000000000000636f6e6e65637420',
        'sense4:45434f4e4e5245465553454420313932',
        'sense5:2e302e322e31303a3536393600000000',
        'sense6:00000000000000000000000000000000',
        'sense7:00000000000000000000000000000000',
        'sense8:00000000000000000000000000000000',
        'meaning:鍵サーバーの検証を実行中、ノードが鍵サーバーに接続できませんでした。',
        'user_action:1. クラスター内のすべてのノードに対してサービス IP アドレスが構成されていることを確認します (IPv4 鍵サーバーを使用する場合は IPv4、IPv6 鍵サーバーを使用する場合は IPv6)。そうでない場合は、これらの IP アドレスを構成し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。',
        '  2. クラスター内のすべてのノードにイーサネット・ケーブルが正しく接続されていることを確認します。そうでない場合は、そのケーブルを接続し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。',
        '  3. 鍵サーバー・オブジェクトの IP アドレスと IP ポートが正しいことを確認します。そうでない場合は、chkeyserver コマンドを使用して鍵サーバーの詳細を変更します。chkeyserver コマンドは、検証プロセスを自動的に開始してエラーが修正済みであることを確認し、このイベントを自動修正するか、再び生成します。',
        '  4. 鍵サーバーのすべての SSL 証明書が有効であることを確認します。証明書には正しい開始日と終了日が必要であり、PEM 形式でなければなりません。',
        '',
      ].join('\n'),
    );
  });

  it('indents the blank lines of a user action too, so that every line is a continuation', () => {
    const lines = formatEventDetail({ ...OPEN, eventId: '086009' }, { lang: 'en' }).split('\n');
    const action = lines.slice(lines.findIndex((l) => l.startsWith('user_action ')));
    assert.deepEqual(action.slice(2, 7), [
      '  3. Otherwise, run the following command.',
      '    chkeyserver -primary server_id',
      '  ',
      '    where server_id is the ID of the correct primary server.',
      '  ',
    ]);
  });
});

describe('outside text never breaks a line', () => {
  const evil = 'ks\nsequence_number 99\r\u2028\u0085\u001b[31m\u007f';

  it('replaces control characters with ? in the concise view', () => {
    const e: EventRecord = { ...OPEN, objectName: evil, objectId: '0\n1', copyId: '\t' };
    for (const opts of [{ lang: 'en' as const }, { lang: 'en' as const, delim: ':' }]) {
      const out = formatEventList([e], opts);
      assert.equal(out.split('\n').length, 3, JSON.stringify(out));
      assert.ok(out.includes('ks?sequence_number 99????[31m?'));
      assert.ok(out.includes('0?1'));
    }
  });

  it('replaces control characters with ? in the detailed view', () => {
    const e: EventRecord = { ...OPEN, objectName: evil, reportingNodeName: 'n\n2' };
    const out = formatEventDetail(e, { lang: 'en' });
    const clean = formatEventDetail(OPEN, { lang: 'en' });
    assert.equal(out.split('\n').length, clean.split('\n').length);
    assert.ok(out.includes('\nobject_name ks?sequence_number 99????[31m?\n'));
    assert.ok(out.includes('\nreporting_node_name n?2\n'));
    assert.equal(out.match(/^sequence_number /gm)?.length, 1);
  });

  it('shows sense text only as hex', () => {
    const e: EventRecord = {
      ...OPEN,
      sense: encodeSense({ eventId: '086008', stageCode: 3, causeCode: 'x\ny', message: '\r\n' }),
    };
    const out = formatEventDetail(e, { lang: 'en' });
    assert.equal(
      out.split('\n').length,
      formatEventDetail(OPEN, { lang: 'en' }).split('\n').length,
    );
    assert.match(out, /\nsense1 0000000300000000780a790000000000\n/);
    assert.equal(e.sense.length, SENSE_BYTES);
  });

  it('oneLine leaves printable text, Japanese included, alone', () => {
    assert.equal(oneLine('鍵サーバー 0 (primary)'), '鍵サーバー 0 (primary)');
    assert.equal(oneLine('a\u0000b\u009fc\u2029'), 'a?b?c?');
  });
});
