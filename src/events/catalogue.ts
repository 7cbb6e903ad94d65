/**
 * The texts of error code 1785 and its event IDs 086006–086009, in Japanese and English.
 *
 * The Japanese is the seed's (shared/seeds/000_1604f8e07f0c15ef.txt, the IBM SVC 8.1.3 page
 * `code_1785.html`) copied character for character; the English is a faithful translation of
 * it, sentence by sentence. Multi-line texts are kept as lines: a step of a user action starts
 * with its number, and its sub-items (`•`, a command to type, a closing remark) are indented by
 * two spaces, as the seed indents them below the step.
 */
import type { EventId, EventStatus, NotificationType } from './types.ts';

/** Languages of the event texts. */
export const LANGS = ['ja', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** The error code every event of this product belongs to (key-server problem). */
export const KEY_SERVER_ERROR_CODE = 1785;

type Texts = { readonly [L in Lang]: string };
type MultiLine = { readonly [L in Lang]: readonly string[] };

/** One event ID's entry. */
export interface EventEntry {
  readonly errorCode: number;
  readonly notificationType: NotificationType;
  readonly status: EventStatus;
  /** Short text: the `description` column of the concise view and `event_id_text`. */
  readonly description: Texts;
  /** What the event means (the seed's paragraph under the event heading). */
  readonly meaning: MultiLine;
  /** What the user should do (the seed's numbered steps for the event). */
  readonly userAction: MultiLine;
}

/** Error code 1785, its common explanation, and each event ID. */
export const EVENT_CATALOGUE = {
  errorCode: KEY_SERVER_ERROR_CODE,
  /** `error_code_text` of the detailed view. */
  errorCodeText: {
    ja: '鍵サーバーに関して問題が発生しました',
    en: 'A problem occurred with the key server',
  },
  /**
   * The explanation common to every event of 1785. The seed reads "mkkeyserverchkeyserver、";
   * that is a typo (a lost separator) for "mkkeyserver、chkeyserver、", written correctly here.
   */
  explanation: {
    ja: [
      'エラー・コードの意味は、関連したイベント・コードによって異なります。これらのエラーはすべて、mkkeyserver、chkeyserver、または testkeyserver コマンドによって、または通常の検証タイマーによってトリガーされる鍵サーバーの検証プロセスに関係します。',
    ],
    en: [
      'The meaning of the error code depends on the associated event code. All of these errors relate to the validation process of the key server, triggered by the mkkeyserver, chkeyserver or testkeyserver command, or by the regular validation timer.',
    ],
  },
  events: {
    '086006': {
      errorCode: KEY_SERVER_ERROR_CODE,
      notificationType: 'error',
      status: 'alert',
      description: {
        ja: '鍵サーバーが KMIP エラーを報告しました',
        en: 'The key server reported a KMIP error',
      },
      meaning: {
        ja: [
          '鍵サーバーの検証を実行中、サーバーはゼロ以外の KMIP エラー・コードを報告しました。鍵サーバーはさまざまな KMIP エラー・コードを報告する可能性があるため、センス・データには、エラーに関する以下の追加情報が含まれます。',
          '  • KMIP エラー・コード',
          '  • KMIP 結果の状況',
          '  • KMIP 結果の理由',
          '  • KMIP 結果のメッセージを含むエラー・ストリング',
        ],
        en: [
          'While the key server was being validated, the server reported a non-zero KMIP error code. Because the key server can report a variety of KMIP error codes, the sense data contains the following additional information about the error.',
          '  • KMIP error code',
          '  • KMIP result status',
          '  • KMIP result reason',
          '  • An error string containing the KMIP result message',
        ],
      },
      userAction: {
        ja: [
          '1. 鍵サーバーはサーバー・サイドの問題を報告しました。このイベントのセンス・データには、鍵サーバー上の問題の特定に役立つ詳細情報が含まれています。問題が修正されたかどうかを確認するには、testkeyserver コマンドを実行してください。testkeyserver コマンドは自動的にエラーを修正するか、イベントを再度生成します。',
          '2. クラスター証明書が鍵サーバー上で受け入れられたことを確認します。詳しくは、「鍵サーバーに使用される証明書」の製品資料を検索してください。',
          '3. ISKLM が TLS v1.2 を使用するように構成されたことを確認します。これを行わないと、SSL 接続エラーが生じる可能性があります。',
        ],
        en: [
          '1. The key server reported a server-side problem. The sense data of this event contains detailed information that helps to identify the problem on the key server. To check whether the problem has been fixed, run the testkeyserver command. The testkeyserver command either fixes the error automatically or raises the event again.',
          '2. Make sure that the cluster certificate has been accepted on the key server. For details, search the product documentation for "Certificates used for key servers".',
          '3. Make sure that ISKLM is configured to use TLS v1.2. Otherwise, SSL connection errors can occur.',
        ],
      },
    },
    '086007': {
      errorCode: KEY_SERVER_ERROR_CODE,
      notificationType: 'error',
      status: 'alert',
      description: {
        ja: '鍵サーバーがベンダー情報エラーを報告しました',
        en: 'The key server reported a vendor information error',
      },
      meaning: {
        ja: [
          '鍵サーバーの検証を実行中、サーバーは以下のいずれかの状態を報告しました。',
          '  • サポートされないタイプの鍵サーバー',
          '  • 鍵サーバー上のサポートされないコード・レベル',
        ],
        en: [
          'While the key server was being validated, the server reported one of the following conditions.',
          '  • An unsupported type of key server',
          '  • An unsupported code level on the key server',
        ],
      },
      userAction: {
        ja: [
          '1. 鍵サーバーは、サポートされていないソフトウェアのバージョンを実行していることを報告しました。正しい鍵サーバーを使用していること、および IP アドレス、ポート・アドレス、その他の特性がすべて正しいことを確認してください。そうでない場合は、chkeyserver コマンドを使用してこの情報を変更します。chkeyserver コマンドは、検証プロセスを自動的に開始してエラーが修正済みであることを確認し、このイベントを自動修正するか、再び生成します。',
          '2. サポートされている鍵サーバーのタイプとバージョンを使用していることを確認してください。サポートされている鍵サーバーのリストが資料に記載されています。このイベントのセンス・データには、鍵サーバーによって報告されたバージョン情報が含まれています。',
          '  • Key Management Interoperability Protocol (KMIP) のサポートされている最小バージョンは 1.3 です。',
          '  • サポートされている鍵サーバー・タイプは ISKLM のみです。',
          '  • サポートされている ISKLM のバージョンは 2.6.0.0 以降です。',
        ],
        en: [
          '1. The key server reported that it is running an unsupported version of software. Make sure that you are using the correct key server, and that the IP address, the port address and the other characteristics are all correct. If they are not, change this information with the chkeyserver command. The chkeyserver command automatically starts the validation process to confirm that the error is fixed, and either fixes this event automatically or raises it again.',
          '2. Make sure that you are using a supported type and version of key server. The list of supported key servers is in the documentation. The sense data of this event contains the version information that the key server reported.',
          '  • The minimum supported version of the Key Management Interoperability Protocol (KMIP) is 1.3.',
          '  • The only supported key server type is ISKLM.',
          '  • The supported versions of ISKLM are 2.6.0.0 and later.',
        ],
      },
    },
    '086008': {
      errorCode: KEY_SERVER_ERROR_CODE,
      notificationType: 'error',
      status: 'alert',
      description: {
        ja: '鍵サーバーへの接続に失敗しました',
        en: 'The connection to the key server failed',
      },
      meaning: {
        ja: ['鍵サーバーの検証を実行中、ノードが鍵サーバーに接続できませんでした。'],
        en: [
          'While the key server was being validated, a node could not connect to the key server.',
        ],
      },
      userAction: {
        ja: [
          '1. クラスター内のすべてのノードに対してサービス IP アドレスが構成されていることを確認します (IPv4 鍵サーバーを使用する場合は IPv4、IPv6 鍵サーバーを使用する場合は IPv6)。そうでない場合は、これらの IP アドレスを構成し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。',
          '2. クラスター内のすべてのノードにイーサネット・ケーブルが正しく接続されていることを確認します。そうでない場合は、そのケーブルを接続し、testkeyserver コマンドを実行します。testkeyserver コマンドが正常に実行されると、イベントは自動的に修正されます。',
          '3. 鍵サーバー・オブジェクトの IP アドレスと IP ポートが正しいことを確認します。そうでない場合は、chkeyserver コマンドを使用して鍵サーバーの詳細を変更します。chkeyserver コマンドは、検証プロセスを自動的に開始してエラーが修正済みであることを確認し、このイベントを自動修正するか、再び生成します。',
          '4. 鍵サーバーのすべての SSL 証明書が有効であることを確認します。証明書には正しい開始日と終了日が必要であり、PEM 形式でなければなりません。',
        ],
        en: [
          '1. Make sure that service IP addresses are configured for all the nodes in the cluster (IPv4 when you use IPv4 key servers, IPv6 when you use IPv6 key servers). If they are not, configure these IP addresses and run the testkeyserver command. When the testkeyserver command runs successfully, the event is fixed automatically.',
          '2. Make sure that Ethernet cables are correctly connected to all the nodes in the cluster. If they are not, connect the cables and run the testkeyserver command. When the testkeyserver command runs successfully, the event is fixed automatically.',
          '3. Make sure that the IP address and the IP port of the key server object are correct. If they are not, change the details of the key server with the chkeyserver command. The chkeyserver command automatically starts the validation process to confirm that the error is fixed, and either fixes this event automatically or raises it again.',
          '4. Make sure that all the SSL certificates of the key server are valid. Certificates must have correct start and end dates, and must be in PEM format.',
        ],
      },
    },
    '086009': {
      errorCode: KEY_SERVER_ERROR_CODE,
      notificationType: 'error',
      status: 'alert',
      description: {
        ja: '鍵サーバーが、1 次サーバーの構成の誤りを報告しました',
        en: 'The key server reported a misconfiguration of the primary server',
      },
      meaning: {
        ja: [
          'SKLM 鍵サーバーが、システムで定義された値と競合するサーバー・タイプを報告しました。鍵サーバーが 1 次サーバーではないと報告したサーバーが、システム上で 1 次サーバーとして定義されています。',
        ],
        en: [
          'An SKLM key server reported a server type that conflicts with the value defined on the system. A server that the key server reported not to be a primary server is defined as the primary server on the system.',
        ],
      },
      userAction: {
        ja: [
          '1. lskeyserver コマンドを実行して、鍵サーバーの現在の状況を表示してください。これらのサーバーのいずれかで、「1 次」フィールドが誤って「はい」に設定されています。',
          '2. どのサーバーを正しく 1 次サーバーとして指定すべきかを判別してください。これを行うには、サーバー・サイドで、実際の 1 次サーバーを指す IP アドレスとポートを識別します。1 次サーバーには、SKLM での複製関係で「MASTER」の役割が指定されています。このプロセスについて詳しくは、SKLM の資料を参照してください。lskeyserver コマンドの 1 次サーバーが正しいように見える場合は、サービス・サポート担当者に連絡してください。',
          '3. それ以外の場合は、以下のコマンドを実行します。',
          '  chkeyserver -primary server_id',
          '',
          '  ここで、server_id は正しい 1 次サーバーの ID です。',
          '',
          '4. chkeyserver コマンドは、新しい 1 次鍵サーバーを自動的に検証します。このイベントを修正するには、以下のいずれかのアクションを実行してください。',
          '  • cheventlog -fix コマンドを使用して、手動でイベントに修正済みのマークを付ける。',
          '  • 古い 1 次鍵サーバーの定期検証を待つ。',
          '  • testkeyserver コマンドを使用して、古いサーバーを手動で検証する。',
          '  問題が続く場合は、サービス・サポート担当員に連絡してください。',
        ],
        en: [
          '1. Run the lskeyserver command to display the current status of the key servers. On one of these servers, the "primary" field is wrongly set to "yes".',
          '2. Determine which server should correctly be designated as the primary server. To do this, identify on the server side the IP address and the port that point to the actual primary server. The primary server has the "MASTER" role in the replication relationship in SKLM. For details about this process, see the SKLM documentation. If the primary server of the lskeyserver command appears to be correct, contact your service support representative.',
          '3. Otherwise, run the following command.',
          '  chkeyserver -primary server_id',
          '',
          '  where server_id is the ID of the correct primary server.',
          '',
          '4. The chkeyserver command automatically validates the new primary key server. To fix this event, take one of the following actions.',
          '  • Mark the event as fixed by hand with the cheventlog -fix command.',
          '  • Wait for the periodic validation of the old primary key server.',
          '  • Validate the old server by hand with the testkeyserver command.',
          '  If the problem persists, contact your service support representative.',
        ],
      },
    },
  },
} as const satisfies {
  readonly errorCode: number;
  readonly errorCodeText: Texts;
  readonly explanation: MultiLine;
  readonly events: { readonly [E in EventId]: EventEntry };
};

/** The texts of one event in one language; multi-line texts joined with `\n`. */
export interface EventText {
  /** Short description (concise view, `event_id_text`). */
  readonly description: string;
  readonly meaning: string;
  readonly userAction: string;
  /** `error_code_text`. */
  readonly errorCodeText: string;
  /** The explanation common to every event of the error code. */
  readonly explanation: string;
}

export function eventText(eventId: EventId, lang: Lang): EventText {
  const e: EventEntry = EVENT_CATALOGUE.events[eventId];
  return {
    description: e.description[lang],
    meaning: e.meaning[lang].join('\n'),
    userAction: e.userAction[lang].join('\n'),
    errorCodeText: EVENT_CATALOGUE.errorCodeText[lang],
    explanation: EVENT_CATALOGUE.explanation[lang].join('\n'),
  };
}

/**
 * The language of a process from its environment, as POSIX resolves LC_MESSAGES: the first of
 * LC_ALL, LC_MESSAGES, LANG that is set and not empty decides; 'ja' when it starts with "ja"
 * (ja_JP.UTF-8, ja_JP.eucJP, ja), else 'en' (also for C, POSIX, or nothing set).
 */
export function langFromEnv(env: Readonly<Record<string, string | undefined>>): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const v = env[name];
    if (v !== undefined && v !== '') return v.startsWith('ja') ? 'ja' : 'en';
  }
  return 'en';
}
