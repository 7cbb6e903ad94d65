/** The texts of error code 1785 and events 086006–086009 (seed 000), and the language choice. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  EVENT_CATALOGUE,
  EVENT_IDS,
  LANGS,
  eventText,
  langFromEnv,
} from '../../src/events/index.ts';

describe('event catalogue', () => {
  it('gives error code 1785 its text in both languages', () => {
    assert.equal(EVENT_CATALOGUE.errorCode, 1785);
    assert.equal(eventText('086006', 'ja').errorCodeText, '鍵サーバーに関して問題が発生しました');
    assert.equal(eventText('086009', 'en').errorCodeText, 'A problem occurred with the key server');
  });

  it('keeps the Japanese meaning of 086008 exactly as the seed writes it', () => {
    assert.equal(
      eventText('086008', 'ja').meaning,
      '鍵サーバーの検証を実行中、ノードが鍵サーバーに接続できませんでした。',
    );
    assert.equal(
      eventText('086008', 'en').meaning,
      'While the key server was being validated, a node could not connect to the key server.',
    );
  });

  it('takes the short descriptions from the seed headings', () => {
    assert.deepEqual(
      EVENT_IDS.map((id) => eventText(id, 'ja').description),
      [
        '鍵サーバーが KMIP エラーを報告しました',
        '鍵サーバーがベンダー情報エラーを報告しました',
        '鍵サーバーへの接続に失敗しました',
        '鍵サーバーが、1 次サーバーの構成の誤りを報告しました',
      ],
    );
    assert.equal(eventText('086006', 'en').description, 'The key server reported a KMIP error');
  });

  it("writes the seed's typo mkkeyserverchkeyserver as two commands", () => {
    const ja = eventText('086006', 'ja').explanation;
    assert.ok(ja.includes('mkkeyserver、chkeyserver、または testkeyserver コマンド'), ja);
    assert.ok(!ja.includes('mkkeyserverchkeyserver'));
    assert.ok(eventText('086006', 'en').explanation.includes('mkkeyserver, chkeyserver or'));
  });

  it('keeps the sense-data bullets of the 086006 meaning', () => {
    assert.equal(
      eventText('086006', 'ja').meaning.split('\n').slice(1).join('\n'),
      [
        '  • KMIP エラー・コード',
        '  • KMIP 結果の状況',
        '  • KMIP 結果の理由',
        '  • KMIP 結果のメッセージを含むエラー・ストリング',
      ].join('\n'),
    );
  });

  it("keeps 086007's supported-version bullets under step 2", () => {
    const lines = eventText('086007', 'ja').userAction.split('\n');
    assert.equal(lines.length, 5);
    assert.ok(
      lines[0]!.startsWith('1. 鍵サーバーは、サポートされていないソフトウェアのバージョン'),
    );
    assert.ok(lines[1]!.startsWith('2. サポートされている鍵サーバーのタイプとバージョン'));
    assert.deepEqual(lines.slice(2), [
      '  • Key Management Interoperability Protocol (KMIP) のサポートされている最小バージョンは 1.3 です。',
      '  • サポートされている鍵サーバー・タイプは ISKLM のみです。',
      '  • サポートされている ISKLM のバージョンは 2.6.0.0 以降です。',
    ]);
    assert.deepEqual(eventText('086007', 'en').userAction.split('\n').slice(2), [
      '  • The minimum supported version of the Key Management Interoperability Protocol (KMIP) is 1.3.',
      '  • The only supported key server type is ISKLM.',
      '  • The supported versions of ISKLM are 2.6.0.0 and later.',
    ]);
  });

  it('keeps the command and the closing remark of 086009 in their steps', () => {
    const ja = eventText('086009', 'ja').userAction;
    assert.ok(
      ja.includes(
        '3. それ以外の場合は、以下のコマンドを実行します。\n  chkeyserver -primary server_id\n\n  ここで、server_id は正しい 1 次サーバーの ID です。\n\n4. ',
      ),
    );
    assert.ok(ja.endsWith('\n  問題が続く場合は、サービス・サポート担当員に連絡してください。'));
    assert.ok(
      eventText('086009', 'en').userAction.includes('\n  chkeyserver -primary server_id\n'),
    );
  });

  it('gives every event an error notification, alert status and texts line for line', () => {
    for (const id of EVENT_IDS) {
      const e = EVENT_CATALOGUE.events[id];
      assert.equal(e.errorCode, 1785);
      assert.equal(e.notificationType, 'error');
      assert.equal(e.status, 'alert');
      // A faithful translation keeps the shape: the same lines, steps and bullets.
      for (const part of ['meaning', 'userAction'] as const) {
        const shape = (lang: 'ja' | 'en'): string[] =>
          e[part][lang].map((l) => l.replace(/^(\s*(?:\d+\.|•)?).*$/u, '$1'));
        assert.deepEqual(shape('en'), shape('ja'), `${id} ${part}`);
      }
      for (const lang of LANGS) {
        const t = eventText(id, lang);
        for (const v of [t.description, t.meaning, t.userAction, t.errorCodeText, t.explanation]) {
          assert.ok(v.length > 0);
        }
        assert.ok(!t.description.includes('\n'));
      }
    }
  });

  it('numbers the steps of each user action from 1', () => {
    for (const id of EVENT_IDS) {
      const steps = eventText(id, 'ja')
        .userAction.split('\n')
        .filter((l) => /^\d+\. /.test(l))
        .map((l) => Number(l.split('.')[0]));
      assert.deepEqual(
        steps,
        steps.map((_, i) => i + 1),
        id,
      );
    }
  });
});

describe('langFromEnv', () => {
  it('is ja when the deciding variable starts with ja', () => {
    assert.equal(langFromEnv({ LANG: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(langFromEnv({ LC_MESSAGES: 'ja_JP.eucJP' }), 'ja');
    assert.equal(langFromEnv({ LC_ALL: 'ja' }), 'ja');
  });

  it('is en otherwise, or when nothing is set', () => {
    assert.equal(langFromEnv({}), 'en');
    assert.equal(langFromEnv({ LANG: 'C.UTF-8' }), 'en');
    assert.equal(langFromEnv({ LANG: 'en_US.UTF-8' }), 'en');
    assert.equal(langFromEnv({ LANG: 'POSIX' }), 'en');
  });

  it('lets LC_ALL win over LC_MESSAGES over LANG', () => {
    assert.equal(
      langFromEnv({ LC_ALL: 'C', LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'ja_JP.UTF-8' }),
      'en',
    );
    assert.equal(langFromEnv({ LC_ALL: 'ja_JP.UTF-8', LC_MESSAGES: 'C', LANG: 'C' }), 'ja');
    assert.equal(langFromEnv({ LC_MESSAGES: 'en_GB.UTF-8', LANG: 'ja_JP.UTF-8' }), 'en');
    assert.equal(langFromEnv({ LC_MESSAGES: 'ja_JP.UTF-8', LANG: 'en_US.UTF-8' }), 'ja');
  });

  it('skips variables set to the empty string', () => {
    assert.equal(langFromEnv({ LC_ALL: '', LC_MESSAGES: '', LANG: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(langFromEnv({ LC_ALL: '', LANG: '' }), 'en');
  });
});
