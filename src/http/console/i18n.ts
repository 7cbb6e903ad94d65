/**
 * Every text of the console in Japanese and English (tests/http/console-i18n.test.ts checks
 * that both languages have every key and no text is empty). `{name}` marks a parameter.
 */

export const CONSOLE_LANGS = ['ja', 'en'] as const;
export type ConsoleLang = (typeof CONSOLE_LANGS)[number];

export const TEXTS = {
  product: { ja: 'Sekisho 管理コンソール', en: 'Sekisho console' },
  languageName: { ja: '日本語', en: 'English' },
  skipToContent: { ja: '本文へ移動', en: 'Skip to content' },
  navLabel: { ja: 'メインメニュー', en: 'Main menu' },
  navUsers: { ja: '利用者', en: 'Users' },
  navRoles: { ja: 'ロール', en: 'Roles' },
  navSessions: { ja: 'セション', en: 'Sessions' },
  navKeyServers: { ja: '鍵サーバ', en: 'Key servers' },
  navEvents: { ja: 'イベントログ', en: 'Event log' },
  navLogs: { ja: 'アクセスログ', en: 'Access logs' },
  navSettings: { ja: '設定', en: 'Settings' },
  timesIn: { ja: '日時の表示タイムゾーン:', en: 'Times in' },
  change: { ja: '変更', en: 'Change' },

  // Sign-on, sign-off, password
  signOnTitle: { ja: 'コンソールへのサインオン', en: 'Sign on to the console' },
  signOn: { ja: 'サインオン', en: 'Sign on' },
  signOff: { ja: 'サインオフ', en: 'Sign off' },
  signOnHint: {
    ja: '管理者ロールを持つ利用者だけがサインオンできます。',
    en: 'Only users who hold the administrator role can sign on.',
  },
  signOnFailed: {
    ja: 'サインオンできませんでした。ユーザIDとパスワードを確認してください。',
    en: 'Sign-on failed. Check the user ID and the password.',
  },
  csrfFailed: {
    ja: 'フォームの有効期限が切れたか、不正な要求です。画面を開き直してください。',
    en: 'The form has expired or the request is not valid. Open the page again.',
  },
  crossOrigin: {
    ja: '他のサイトからの要求は受け付けません。',
    en: 'Requests from other sites are not accepted.',
  },
  sessionExpired: {
    ja: 'コンソールのセションが終了しました。もう一度サインオンしてください。',
    en: 'Your console session has ended. Sign on again.',
  },
  signedOff: { ja: 'サインオフしました。', en: 'You have signed off.' },
  refusedTitle: { ja: '要求を受け付けられません', en: 'Request refused' },
  errorTitle: { ja: 'エラー', en: 'Error' },
  notFoundTitle: { ja: 'ページがありません', en: 'Page not found' },
  notFound: { ja: 'このページはありません。', en: 'There is no such page.' },
  badRequest: { ja: '要求の形式が正しくありません。', en: 'The request is not valid.' },
  internalError: {
    ja: '内部エラーが発生しました。システムログを確認してください。',
    en: 'An internal error occurred. See the system log.',
  },
  uid: { ja: 'ユーザID', en: 'User ID' },
  password: { ja: 'パスワード', en: 'Password' },
  passwordTitle: { ja: 'パスワードの変更', en: 'Change password' },
  mustChange: {
    ja: '初回起動時のワンタイムパスワードでサインオンしています。続けるにはパスワードを変更してください。',
    en: 'You signed on with the one-time password of the first start. Change the password to continue.',
  },
  currentPassword: { ja: '現在のパスワード', en: 'Current password' },
  newPassword: { ja: '新しいパスワード', en: 'New password' },
  confirmPassword: { ja: '新しいパスワード(確認)', en: 'New password (again)' },
  passwordRule: { ja: '{n}文字以上', en: 'at least {n} characters' },
  changePassword: { ja: 'パスワードを変更', en: 'Change password' },
  passwordMismatch: {
    ja: '新しいパスワードが一致しません。',
    en: 'The new passwords do not match.',
  },
  passwordSame: {
    ja: '新しいパスワードが現在のパスワードと同じです。',
    en: 'The new password is the current one.',
  },
  currentWrong: {
    ja: '現在のパスワードが正しくありません。',
    en: 'The current password is not correct.',
  },
  passwordChanged: { ja: 'パスワードを変更しました。', en: 'The password was changed.' },

  // Common words
  yes: { ja: 'はい', en: 'yes' },
  no: { ja: 'いいえ', en: 'no' },
  any: { ja: 'すべて', en: 'any' },
  none: { ja: 'ありません。', en: 'None.' },
  search: { ja: '検索', en: 'Search' },
  show: { ja: '表示', en: 'Show' },
  save: { ja: '保存', en: 'Save' },
  saved: { ja: '保存しました。', en: 'Saved.' },
  create: { ja: '作成', en: 'Create' },
  add: { ja: '追加', en: 'Add' },
  remove: { ja: '削除', en: 'Remove' },
  apply: { ja: '適用', en: 'Apply' },
  filter: { ja: '絞り込み', en: 'Filter' },
  actions: { ja: '操作', en: 'Actions' },
  status: { ja: '状態', en: 'Status' },
  name: { ja: '名前', en: 'Name' },
  detail: { ja: '詳細', en: 'Detail' },
  optional: { ja: '省略可', en: 'optional' },
  pages: { ja: 'ページ送り', en: 'Pages' },
  firstPage: { ja: '最初のページ', en: 'First page' },
  nextPage: { ja: '次のページ', en: 'Next page' },
  needsScript: {
    ja: '(JavaScriptが有効なとき、ファイルの内容を下の欄に読み込みます)',
    en: '(with JavaScript on, loads the file into the box below)',
  },

  // Users
  usersTitle: { ja: '利用者', en: 'Users' },
  userTitle: { ja: '利用者 {uid}', en: 'User {uid}' },
  searchPrefix: {
    ja: 'ユーザIDまたは名前(前方一致)',
    en: 'User ID or name starts with',
  },
  createUser: { ja: '利用者の作成', en: 'Create user' },
  editUser: { ja: '属性の変更', en: 'Change attributes' },
  deleteUser: { ja: '利用者を削除', en: 'Delete user' },
  confirmDelete: { ja: '利用者 {uid} を削除しますか?', en: 'Delete user {uid}?' },
  cannotDeleteSelf: {
    ja: 'サインオン中の自分自身は削除できません。',
    en: 'You cannot delete yourself while signed on.',
  },
  noUsers: { ja: '該当する利用者はいません。', en: 'No user matches.' },
  failureCount: { ja: '認証失敗回数', en: 'Failure count' },
  lockTime: { ja: 'ロック日時', en: 'Locked at' },
  validity: { ja: '有効期間', en: 'Validity period' },
  passwordSet: { ja: 'パスワード設定', en: 'Password set' },
  statusGood: { ja: '正常', en: 'good' },
  statusLocked: { ja: 'ロック中', en: 'locked' },
  releaseLock: { ja: 'ロックを解除', en: 'Release lock' },
  signOffUser: { ja: 'この利用者をサインオフ', en: 'Sign this user off' },
  signOffUserNamed: {
    ja: '{uid} のすべてのセションをサインオフ',
    en: 'Sign off every session of {uid}',
  },
  effectiveRoles: { ja: '有効なロール', en: 'Effective roles' },
  authType: { ja: '認証方式 (ssoAuthType)', en: 'Authentication type (ssoAuthType)' },
  attrDn: { ja: 'DN', en: 'DN' },
  dnHint: {
    ja: '省略時は uid=ユーザID,利用者検索ベース',
    en: 'default uid=USER-ID,user search base',
  },
  attrCn: { ja: '名前 (cn)', en: 'Name (cn)' },
  attrSn: { ja: '姓 (sn)', en: 'Surname (sn)' },
  attrMail: { ja: 'メールアドレス (mail)', en: 'E-mail (mail)' },
  attrEmployeeNumber: { ja: '社員番号 (employeeNumber)', en: 'Employee number' },
  attrSerialNumber: { ja: 'シリアル番号 (serialNumber)', en: 'Serial number' },
  attrDnQualifier: { ja: 'dnQualifier', en: 'dnQualifier' },
  attrNotBefore: { ja: '有効期間の開始 (ssoNotBefore)', en: 'Valid from (ssoNotBefore)' },
  attrNotAfter: { ja: '有効期間の終了 (ssoNotAfter)', en: 'Valid until (ssoNotAfter)' },
  attrCredentialTtl: {
    ja: '再認証間隔・分 (ssoCredentialTTL)',
    en: 'Re-authentication interval, minutes (ssoCredentialTTL)',
  },
  credentialTtlHint: {
    ja: '0 = 無制限、空欄 = 既定値',
    en: '0 = unlimited, empty = the default',
  },
  attrRoles: { ja: 'ロール (ssoRoleName)', en: 'Roles (ssoRoleName)' },
  rolesHint: { ja: 'コンマ区切り', en: 'separated by commas' },
  attrPassword: { ja: 'パスワード', en: 'Password' },
  attrNewPassword: { ja: '新しいパスワード', en: 'New password' },
  passwordKeep: { ja: '空欄なら変更しません', en: 'leave empty to keep it' },
  badDate: { ja: '日時が正しくありません: {value}', en: 'Not a date and time: {value}' },
  userCreated: { ja: '利用者 {uid} を作成しました。', en: 'User {uid} created.' },
  userChanged: { ja: '利用者 {uid} を変更しました。', en: 'User {uid} changed.' },
  userUnlocked: {
    ja: '利用者 {uid} のロックを解除し、認証失敗回数を0にしました。',
    en: 'User {uid}: lock released, failure count reset.',
  },
  userDeleted: { ja: '利用者 {uid} を削除しました。', en: 'User {uid} deleted.' },
  importLdif: { ja: 'LDIFの取り込み', en: 'Import LDIF' },
  exportLdif: { ja: 'LDIFの書き出し', en: 'Export LDIF' },
  importHint: {
    ja: '利用者・ロール・ロールセット・サイト・リソースを追加・変更・削除します。すべてのレコードを検査してから書き込みます。',
    en: 'Adds, changes and deletes users, roles, role sets, sites and resources. Every record is checked before anything is written.',
  },
  ldifFile: { ja: 'LDIFファイル', en: 'LDIF file' },
  ldifText: { ja: 'LDIF', en: 'LDIF' },
  import: { ja: '取り込む', en: 'Import' },

  // Roles
  rolesTitle: { ja: 'ロールと保護リソース', en: 'Roles and protected resources' },
  roles: { ja: 'ロール', en: 'Roles' },
  roleSets: { ja: 'ロールセット', en: 'Role sets' },
  sites: { ja: 'サイト', en: 'Sites' },
  resources: { ja: '保護リソース', en: 'Protected resources' },
  whoCanReach: { ja: 'このURLに到達できる利用者', en: 'Who can reach this URL' },
  rolesAndSets: { ja: 'ロールとロールセット', en: 'Roles and role sets' },
  kindRole: { ja: 'ロール', en: 'role' },
  kindRoleSet: { ja: 'ロールセット', en: 'role set' },
  kindUnknown: { ja: '未登録', en: 'not registered' },
  members: { ja: 'メンバ', en: 'Members' },
  unknownMembers: { ja: '未登録: {names}', en: 'not registered: {names}' },
  cyclic: { ja: '循環あり', en: 'cyclic' },
  rolePath: { ja: '経路(ロールセット経由)', en: 'Path (through role sets)' },
  effectiveRolesOf: { ja: '{uid} の有効なロール', en: 'Effective roles of {uid}' },
  listedRoles: {
    ja: '{uid} に設定されたロール: {roles}',
    en: 'Roles listed on {uid}: {roles}',
  },
  resourcePath: { ja: 'リソース(パス)', en: 'Resource (path)' },
  allowedNow: { ja: '現在アクセス可', en: 'Allowed now' },
  grantedThrough: { ja: '許可するロール・ロールセット:', en: 'Granted through:' },
  scanLimited: {
    ja: '{n} 人を調べたところで打ち切りました。次のページで続きを調べます。',
    en: 'Stopped after examining {n} users; the next page goes on.',
  },
  matchRefused: {
    ja: '業務サーバはこのURLを拒否します({reason})。だれも到達できません。',
    en: 'The business server refuses this URL ({reason}): nobody reaches it.',
  },
  matchNoSite: {
    ja: '{site} は保護サイトではありません。業務サーバは保護しません。',
    en: '{site} is not a protected site: the business server does not protect it.',
  },
  matchNotCovered: {
    ja: '{site} の保護リソースは {path} を含みません。既定ではだれにも許可されません(business.deny-unknown-paths)。',
    en: 'No protected resource of {site} covers {path}: denied to everyone by default (business.deny-unknown-paths).',
  },
  matchResource: {
    ja: '{site} のリソース {resource} が保護しています。許可するロール: {roles}',
    en: 'Protected by resource {resource} of {site}; roles: {roles}',
  },
  rolesHintLdif: {
    ja: 'ロール・ロールセット・サイト・リソースはLDIFで変更します。',
    en: 'Roles, role sets, sites and resources are changed through LDIF.',
  },

  // Sessions
  sessionsTitle: { ja: 'セション', en: 'Sessions' },
  client: { ja: 'クライアント', en: 'Client' },
  signedOnAt: { ja: 'サインオン日時', en: 'Signed on at' },
  age: { ja: '経過時間', en: 'Age' },
  idle: { ja: '無操作時間', en: 'Idle' },
  state: { ja: '状態', en: 'State' },
  stateActive: { ja: '有効', en: 'active' },
  statePending: { ja: '強制サインオン確認中', en: 'forced sign-on pending' },
  noSessions: { ja: 'セションはありません。', en: 'No sessions.' },
  signOffSession: { ja: 'サインオフ', en: 'Sign off' },
  signOffSessionOf: {
    ja: '{uid} のこのセションをサインオフ',
    en: 'Sign off this session of {uid}',
  },
  sessionsEnded: { ja: '{n} 個のセションを終了しました。', en: '{n} session(s) ended.' },

  // Key servers
  keyServersTitle: { ja: '鍵サーバ', en: 'Key servers' },
  keyServerTypes: { ja: '鍵サーバの種別', en: 'Key-server types' },
  type: { ja: '種別', en: 'Type' },
  action: { ja: '操作', en: 'Action' },
  enable: { ja: '有効にする', en: 'Enable' },
  disable: { ja: '無効にする', en: 'Disable' },
  setCertificateOnly: { ja: '証明書のみ設定', en: 'Set the certificate only' },
  caCertificate: { ja: 'CA証明書', en: 'CA certificate' },
  caCertificatePem: { ja: 'CA証明書 (PEM)', en: 'CA certificate (PEM)' },
  typeChanged: { ja: '種別 {type} を変更しました。', en: 'Type {type} changed.' },
  keyServerList: { ja: '鍵サーバ一覧', en: 'Key servers' },
  noKeyServers: { ja: '鍵サーバは定義されていません。', en: 'No key server is defined.' },
  address: { ja: 'アドレス', en: 'Address' },
  port: { ja: 'ポート', en: 'Port' },
  primary: { ja: 'プライマリ', en: 'Primary' },
  lastValidation: { ja: '最終検証', en: 'Last validation' },
  errSeqNum: { ja: 'エラーイベント', en: 'Error event' },
  node: { ja: 'ノード', en: 'Node' },
  stage: { ja: '段階', en: 'Stage' },
  result: { ja: '結果', en: 'Result' },
  notValidated: { ja: 'まだ検証されていません。', en: 'Not validated yet.' },
  testNow: { ja: '今すぐ検証', en: 'Test now' },
  confirmRemove: { ja: '鍵サーバ {name} を削除しますか?', en: 'Remove key server {name}?' },
  addKeyServer: { ja: '鍵サーバの追加', en: 'Add a key server' },
  changeKeyServer: { ja: '鍵サーバ {name} の変更', en: 'Change key server {name}' },
  serverCertificatePem: {
    ja: '鍵サーバの証明書 (PEM)',
    en: 'Key server certificate (PEM)',
  },
  certKeep: { ja: '空欄なら変更しません', en: 'leave empty to keep it' },
  validationFailed: { ja: '検証に失敗しました。', en: 'Validation failed.' },
  validationPassed: {
    ja: '鍵サーバのタスクが正常に完了しました。',
    en: 'The key server task completed successfully.',
  },
  keyServerChanged: { ja: '鍵サーバを変更しました。', en: 'Key server changed.' },
  keyServerRemoved: { ja: '鍵サーバを削除しました。', en: 'Key server removed.' },
  systemCertificate: { ja: 'システム証明書', en: 'System certificate' },
  systemCertAction: { ja: '操作', en: 'Action' },
  systemCertExport: { ja: '証明書を表示 (PEM)', en: 'Show the certificate (PEM)' },
  systemCertRequest: {
    ja: '新しい鍵で証明書要求 (CSR) を作成',
    en: 'Make a certificate request (CSR) with a new key',
  },
  systemCertInstall: {
    ja: '署名された証明書をインストール',
    en: 'Install the signed certificate',
  },
  systemCertRenew: {
    ja: '自己署名証明書を作り直す',
    en: 'Make a new self-signed certificate',
  },
  systemCertApply: { ja: '実行', en: 'Run' },
  keyServersBack: { ja: '鍵サーバへ戻る', en: 'Back to the key servers' },
  systemCertDone: { ja: 'システム証明書を更新しました。', en: 'System certificate updated.' },
  commonName: { ja: '共通名 (CN)', en: 'Common name (CN)' },
  signedCertificatePem: {
    ja: '署名された証明書 (PEM、インストール時)',
    en: 'Signed certificate (PEM, to install)',
  },

  // Events
  eventsTitle: { ja: 'イベントログ', en: 'Event log' },
  eventTitle: { ja: 'イベント {seq}', en: 'Event {seq}' },
  alert: { ja: 'アラート', en: 'Alert' },
  message: { ja: 'メッセージ', en: 'Message' },
  monitoring: { ja: 'モニタリング', en: 'Monitoring' },
  fixed: { ja: '修正済み', en: 'Fixed' },
  order: { ja: '並び順', en: 'Order' },
  orderDate: { ja: '新しい順', en: 'newest first' },
  orderSeverity: { ja: '重大度順', en: 'most severe first' },
  count: { ja: '件数', en: 'Count' },
  sequenceNumber: { ja: '順序番号', en: 'Sequence number' },
  firstTime: { ja: '最初の発生', en: 'First' },
  lastTime: { ja: '最後の発生', en: 'Last' },
  fixedTime: { ja: '修正日時', en: 'Fixed at' },
  object: { ja: 'オブジェクト', en: 'Object' },
  eventId: { ja: 'イベントID', en: 'Event ID' },
  errorCode: { ja: 'エラーコード', en: 'Error code' },
  description: { ja: '説明', en: 'Description' },
  noEvents: { ja: '該当するイベントはありません。', en: 'No event matches.' },
  fix: { ja: '修正済みにする', en: 'Mark fixed' },
  fixEvent: { ja: 'イベント {seq} を修正済みにする', en: 'Mark event {seq} fixed' },
  eventFixed: { ja: 'イベント {seq} を修正済みにしました。', en: 'Event {seq} marked fixed.' },
  senseData: { ja: 'センスデータ', en: 'Sense data' },
  meaning: { ja: '意味', en: 'Meaning' },
  userAction: { ja: 'ユーザの処置', en: 'User action' },
  explanation: { ja: '説明', en: 'Explanation' },

  // Access logs
  logsTitle: { ja: 'アクセスログ', en: 'Access logs' },
  logLineTitle: { ja: 'アクセスログの行', en: 'Access-log line' },
  logsFrom: { ja: '開始日時', en: 'From' },
  logsTo: { ja: '終了日時(含まない)', en: 'To (exclusive)' },
  logsKinds: { ja: 'ログ(未選択ならすべて)', en: 'Logs (none ticked: all)' },
  logsKind: { ja: 'ログ', en: 'Log' },
  logRepository: { ja: 'リポジトリ', en: 'repository' },
  logAuthentication: { ja: '認証', en: 'authentication' },
  logBusiness: { ja: '業務', en: 'business' },
  logSession: { ja: 'セション', en: 'session' },
  resultSucceeded: { ja: '成功', en: 'succeeded' },
  resultFailed: { ja: '失敗', en: 'failed' },
  sessionId: { ja: 'セションID', en: 'Session ID' },
  logsResource: { ja: 'リソース(URLの一部)', en: 'Resource (part of the URL)' },
  logsPerPage: { ja: '1ページの行数', en: 'Lines per page' },
  time: { ja: '日時', en: 'Time' },
  noLogLines: { ja: '該当する行はありません。', en: 'No line matches.' },
  chartHint: {
    ja: 'グラフは期間内のすべての利用者のサインオンと認可の失敗を数えます(期間の指定がなければ直近24時間)。',
    en: 'The chart counts the sign-ons and refused authorizations of every user in the range (the last 24 hours when no range is given).',
  },
  logsBack: { ja: 'アクセスログへ戻る', en: 'Back to the access logs' },

  // Settings
  settingsTitle: { ja: '設定', en: 'Settings' },
  preferences: { ja: 'このブラウザでの表示', en: 'Display in this browser' },
  language: { ja: '言語', en: 'Language' },
  timeZone: { ja: 'タイムゾーン', en: 'Time zone' },
  systemSettings: {
    ja: 'ロックアウト・セション・ログのローテーション',
    en: 'Lockout, sessions, log rotation',
  },
  settingsHint: {
    ja: '変更は構成ファイル (sekisho.json) に書き込まれます(chssoconfig、docs/config.md)。ロックアウトとセションの設定はすぐに、ログのローテーションは次回の起動で反映します。',
    en: 'Changes are written to the configuration file (sekisho.json; chssoconfig, docs/config.md). The lockout and session settings apply at once, the log rotation at the next start.',
  },
  settingLive: { ja: '(すぐに反映)', en: '(applies at once)' },
  settingNextStart: { ja: '(次回の起動で反映)', en: '(applies at the next start)' },
  settingsFix: {
    ja: '設定は変更されていません。印の付いた項目を直してください。',
    en: 'Nothing was changed. Correct the settings marked below.',
  },
  settingsUnchanged: { ja: '変更はありません。', en: 'Nothing to change.' },
  settingsChanged: {
    ja: '変更しました。すぐに反映: {now}。次回の起動で反映: {next}。',
    en: 'Changed. In force now: {now}. At the next start: {next}.',
  },
  consoleSettings: { ja: 'コンソールのセション', en: 'Console sessions' },
  consoleIdle: { ja: '無操作タイムアウト', en: 'Idle timeout' },
  consoleMax: { ja: '最大継続時間', en: 'Maximum lifetime' },
} as const satisfies Record<string, Record<ConsoleLang, string>>;

export type TextId = keyof typeof TEXTS;

export function text(lang: ConsoleLang, id: TextId): string {
  return TEXTS[id][lang];
}

/** The language an `Accept-Language` header prefers among ja and en (default en). */
export function langFromHeader(header: string | undefined): ConsoleLang {
  for (const part of (header ?? '').split(',')) {
    const tag = part.trim().toLowerCase();
    if (tag.startsWith('ja')) return 'ja';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}
