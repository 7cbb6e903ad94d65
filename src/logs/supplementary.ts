/**
 * The one catalogue of supplementary information (補足情報) of the access logs: the text written
 * in parentheses after a result, which log writes it, with which outcome, and what it means and
 * what to do, in Japanese and English.
 *
 * `verified: true` texts are the manual's strings, copied exactly (shared/reference/
 * sso-interstage.md §4.1 and §4.3, V8 Messages: initial capital, no trailing period). All other
 * texts are our own, short, in the same style, because the manual page that lists them could not
 * be read (reference §7 Q1); they are flagged `verified: false` so that they can be corrected here
 * without touching code. The Japanese meanings and actions are the seed's (seed 003), with the
 * notes (注) left out; the English is a translation of them.
 */
import type { LogKind, Outcome } from './records.ts';

type Texts = { readonly ja: string; readonly en: string };

/** One catalogue entry. */
export interface SupplementaryEntry {
  /** The text written between the parentheses; `{host}` is replaced by a host name or IP. */
  readonly text: string;
  /** Logs that write it. */
  readonly logs: readonly LogKind[];
  /** The outcome of the result it accompanies. */
  readonly outcome: Outcome;
  /** Whether `text` is the manual's exact string. */
  readonly verified: boolean;
  /** Where the text (verified) or the meaning (unverified) comes from. */
  readonly source: string;
  readonly meaning: Texts;
  readonly action: Texts;
}

/** `SSOリポジトリ(… Active Directory)`, as the seed writes it every time. */
const REPO_JA =
  'SSOリポジトリ(ユーザ情報の登録先にActive Directoryを使用している場合は、Active Directory)';
const SEE_SYSLOG: Texts = {
  ja: 'システムのログが出力されますので、メッセージに対する[ユーザの対処]を参考に対処を行ってください。',
  en: 'A system log message is output; act as described in the user action of that message.',
};
const NO_ACTION: Texts = {
  ja: '対処は不要です。',
  en: 'No action is required.',
};
const UNLOCK: Texts = {
  ja: 'ロック状態の利用者が認証を要求しました。利用者に確認し、必要に応じてロックを解除してください。',
  en: 'A locked user requested authentication. Check with the user and release the lock if appropriate.',
};
const REPO: readonly LogKind[] = ['repository'];
const AUTH: readonly LogKind[] = ['authentication'];
const BUSINESS: readonly LogKind[] = ['business'];
const SESSION: readonly LogKind[] = ['session'];

/** The catalogue, by stable id. */
export const SUPPLEMENTARY = {
  // ---- Repository server, failed results ----------------------------------------------------
  ABNORMAL_REPOSITORY_ACCESS: {
    text: 'Abnormalities in access of SSO Repository',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'J-RS8',
    meaning: {
      ja: `${REPO_JA}とのアクセスで異常が発生しました。`,
      en: 'An error occurred while accessing the SSO repository (or Active Directory).',
    },
    action: SEE_SYSLOG,
  },
  REPOSITORY_ACCESS_DENIED: {
    text: 'Access was denied by SSO Repository',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'J-RS8',
    meaning: {
      ja: `${REPO_JA}に接続を拒否されました。`,
      en: 'The SSO repository (or Active Directory) refused the connection.',
    },
    action: SEE_SYSLOG,
  },
  ALREADY_LOCKED: {
    text: 'Already locked',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'J-RS8',
    meaning: { ja: '利用者はロックされています。', en: 'The user is locked.' },
    action: UNLOCK,
  },
  REPOSITORY_AUTHENTICATION_FAILED: {
    text: 'Authentication of SSO Repository failed',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'J-RS8',
    meaning: {
      ja: `${REPO_JA}に認証を拒否されました。`,
      en: 'The SSO repository (or Active Directory) rejected the authentication of the repository server.',
    },
    action: SEE_SYSLOG,
  },
  AUTH_TYPE_MISMATCH: {
    text: 'Authentication type mismatch',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'J-RS8',
    meaning: {
      ja: '認証方式が一致していません。SSOリポジトリのユーザ情報に設定した認証方式では証明書による認証が必要ですが、利用者から証明書が提示されませんでした。',
      en: "The authentication method does not match: the user's authentication method (ssoAuthType) requires a certificate, but the user presented none.",
    },
    action: {
      ja: 'SSOリポジトリに設定したユーザ情報の認証方式と利用者が行った認証方式を確認し、証明書による認証を行ってください。',
      en: "Compare the user's ssoAuthType with the method used, and authenticate with a certificate.",
    },
  },
  AUTH_TYPE_MISMATCH_PASSWORD_REQUIRED: {
    text: 'Authentication type mismatch, password required',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'SSOリポジトリのユーザ情報に設定した認証方式にはパスワード認証が必要ですが、利用者からユーザ名/パスワードが提示されませんでした。',
      en: "The user's authentication method requires password authentication, but the user presented no user name and password.",
    },
    action: {
      ja: 'SSOリポジトリに設定したユーザ情報の認証方式と利用者が行った認証方式を確認し、パスワード認証を行ってください。',
      en: "Compare the user's ssoAuthType with the method used, and authenticate with a password.",
    },
  },
  REQUEST_RECEIVE_FAILED: {
    text: 'Request receive failure',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '要求の受信に失敗しました。', en: 'Receiving the request failed.' },
    action: {
      ja: 'システムのログが出力されている場合は、メッセージに対する[ユーザの対処]を参考に対処を行ってください。システムのログに出力されていない場合は、ネットワークの環境を確認してください。また、Interstage HTTP Serverの環境定義ファイル(httpd.conf)のクライアント送受信タイムアウト時間(Timeout)に充分な時間が設定されていることを確認してください。',
      en: 'If a system log message was output, act as it says. Otherwise check the network, and check that the client send/receive timeout (Timeout in httpd.conf) is long enough.',
    },
  },
  REPOSITORY_BLOCKED: {
    text: 'Repository server blocked',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのリポジトリサーバは現在、閉塞状態です。',
      en: 'The repository server is currently blocked.',
    },
    action: {
      ja: 'システムのログsso01009が出力されていますので、メッセージに対する[ユーザの対処]を参考に対処を行ってください。',
      en: 'System log message sso01009 is output; act as described in its user action.',
    },
  },
  DECRYPT_FAILED: {
    text: 'Decryption failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '通信データの復号化に失敗しました。',
      en: 'Decrypting the communication data failed.',
    },
    action: SEE_SYSLOG,
  },
  REPOSITORY_CONNECT_FAILED: {
    text: 'Connection to SSO Repository failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}への接続に失敗しました。`,
      en: 'Connecting to the SSO repository (or Active Directory) failed.',
    },
    action: SEE_SYSLOG,
  },
  COUNT_UP_FAILURE_COUNT: {
    text: 'Count up failure count',
    logs: REPO,
    outcome: 'failed',
    verified: true,
    source: 'EG-210',
    meaning: {
      ja: 'パスワード認証に失敗したため、失敗回数を加算しました。',
      en: 'Password authentication failed, so the failure count was incremented.',
    },
    action: NO_ACTION,
  },
  USER_LOCKED_NOW: {
    text: 'Locked',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '利用者はロックされました。', en: 'The user has been locked.' },
    action: SEE_SYSLOG,
  },
  CREDENTIAL_CREATE_FAILED: {
    text: 'Creation of authentication information failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '認証情報の作成に失敗しました。',
      en: 'Creating the authentication information failed.',
    },
    action: SEE_SYSLOG,
  },
  CREDENTIAL_INCOMPLETE: {
    text: 'Incomplete authentication information created',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '不完全な認証情報を生成しました。',
      en: 'Incomplete authentication information was generated.',
    },
    action: SEE_SYSLOG,
  },
  CREDENTIAL_SIZE_EXCEEDED: {
    text: 'Authentication information size limit exceeded',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '認証情報のサイズが上限に達したため、認証情報の生成に失敗しました。',
      en: 'Generating the authentication information failed because it reached the size limit.',
    },
    action: SEE_SYSLOG,
  },
  ENCRYPT_FAILED: {
    text: 'Encryption failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '送信データの暗号化に失敗しました。',
      en: 'Encrypting the data to send failed.',
    },
    action: SEE_SYSLOG,
  },
  REPOSITORY_DEFINITION_ERROR: {
    text: 'SSO Repository definition error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}の定義に誤りがあります。`,
      en: 'The definition of the SSO repository (or Active Directory) is wrong.',
    },
    action: SEE_SYSLOG,
  },
  REPOSITORY_CONTENT_ERROR: {
    text: 'SSO Repository registration error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}の登録内容に誤りがあります。`,
      en: 'The contents registered in the SSO repository (or Active Directory) are wrong.',
    },
    action: SEE_SYSLOG,
  },
  SESSION_SERVER_NAME_RESOLUTION_FAILED: {
    text: 'Name resolution of session management server failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのセション管理サーバのホスト名の名前解決に失敗しました。',
      en: 'Resolving the host name of the session management server failed.',
    },
    action: SEE_SYSLOG,
  },
  INTERNAL_ERROR: {
    text: 'Internal error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '内部異常が発生しました。', en: 'An internal error occurred.' },
    action: SEE_SYSLOG,
  },
  REQUEST_FROM_INCOMPATIBLE_SERVER: {
    text: 'Request from incompatible authentication server',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのリポジトリサーバが不正な要求を受け付けました。設定、またはバージョンの異なるInterstage シングル・サインオンの認証サーバが運用されています。',
      en: 'The repository server received an invalid request: an authentication server with different settings or of a different version is running.',
    },
    action: SEE_SYSLOG,
  },
  INVALID_SESSION_SERVER_RESPONSE: {
    text: 'Invalid response from session management server',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのリポジトリサーバが、Interstage シングル・サインオンのセション管理サーバから不正な応答を受信しました。設定、またはバージョンの異なるセション管理サーバが運用されている、異なる認証基盤のセション管理サーバと通信している、またはリポジトリサーバの環境が破壊されている可能性があります。',
      en: 'The repository server received an invalid response from the session management server: one with different settings or version, one of another authentication infrastructure, or a broken repository-server environment.',
    },
    action: SEE_SYSLOG,
  },
  USER_LOCKED: {
    text: 'User was locked',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '利用者はロックされました。', en: 'The user has been locked.' },
    action: SEE_SYSLOG,
  },
  NETWORK_RESOURCES_SHORT: {
    text: 'Insufficient network resources',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'ネットワーク資源が不足しています。',
      en: 'Network resources are insufficient.',
    },
    action: SEE_SYSLOG,
  },
  CERT_NO_USER_ATTRIBUTE: {
    text: 'No user attribute in certificate',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '証明書に利用者を特定する情報が含まれていません。',
      en: 'The certificate contains no information that identifies the user.',
    },
    action: {
      ja: 'Interstage シングル・サインオンの認証サーバで設定した[認証に使用する属性]が証明書に含まれているかを確認してください。[認証に使用する属性]が証明書に含まれていない場合、必要であれば、利用者に証明書の再取得を依頼してください。',
      en: 'Check that the certificate contains the attribute used for authentication (certificate-mapping-attribute); if not, ask the user to obtain a new certificate if necessary.',
    },
  },
  PATH_DEFINITION_ERROR: {
    text: 'SSO Repository path definition error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'SSOリポジトリのパス定義の登録内容に誤りがあります。',
      en: 'The path definitions registered in the SSO repository are wrong.',
    },
    action: SEE_SYSLOG,
  },
  SESSION_STATE_INVALID: {
    text: 'Invalid session state',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '要求を受付けることができるセションの状態ではありません。',
      en: 'The session is not in a state that can accept the request.',
    },
    action: NO_ACTION,
  },
  AUTH_INFO_MISSING: {
    text: 'Authentication information missing',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '認証に必要な情報がありません。または、利用者が入力したユーザIDに不正な文字が含まれている可能性があります。',
      en: 'Information required for authentication is missing, or the user ID entered may contain invalid characters.',
    },
    action: {
      ja: '証明書または正しいユーザID/パスワードを指定してください。Webブラウザに入力するユーザIDには、ユーザ情報のユーザID属性“uid”に設定可能な文字を使用してください。',
      en: 'Present a certificate or a correct user ID and password; use in the user ID only characters allowed in the uid attribute.',
    },
  },
  SESSION_EXPIRED: {
    text: 'Session expired',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: 'セションの有効期限が切れました。', en: 'The session expired.' },
    action: NO_ACTION,
  },
  IDLE_TIMEOUT: {
    text: 'Idle timeout',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'アイドル監視でタイムアウトが発生しました。',
      en: 'Idle monitoring timed the session out.',
    },
    action: NO_ACTION,
  },
  ROLE_INFO_ERROR: {
    text: 'SSO Repository role information error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'SSOリポジトリのロール情報の登録内容に誤りがあります。',
      en: 'The role information registered in the SSO repository is wrong.',
    },
    action: SEE_SYSLOG,
  },
  SESSION_SERVER_COMMUNICATION_FAILED: {
    text: 'Communication with session management server failed',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのセション管理サーバとの通信に失敗しました。',
      en: 'Communication with the session management server failed.',
    },
    action: SEE_SYSLOG,
  },
  SESSION_SERVER_SYSTEM_ERROR: {
    text: 'System error in session management server',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'Interstage シングル・サインオンのセション管理サーバでシステムエラーが発生しました。',
      en: 'A system error occurred in the session management server.',
    },
    action: SEE_SYSLOG,
  },
  ALREADY_SIGNED_ON: {
    text: 'Already signed on',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '同じユーザIDですでにサインオンしています。',
      en: 'The user is already signed on with the same user ID.',
    },
    action: NO_ACTION,
  },
  REPOSITORY_TIMEOUT: {
    text: 'Timeout in access of SSO Repository',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}とのアクセスにおいてタイムアウトが発生しました。`,
      en: 'Accessing the SSO repository (or Active Directory) timed out.',
    },
    action: SEE_SYSLOG,
  },
  USER_NOT_IDENTIFIED: {
    text: 'User cannot be identified',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: 'SSOリポジトリのユーザ情報を特定できません。利用者が入力したユーザIDまたは証明書の[認証に使用する属性]がSSOリポジトリに重複して登録されているか、ユーザIDで特定されたエントリと証明書で特定されたエントリが一致していません。',
      en: 'The user entry cannot be determined: the user ID or the certificate mapping attribute is registered more than once, or the entries found by user ID and by certificate differ.',
    },
    action: {
      ja: '利用者が入力したユーザIDおよび証明書に含まれる[認証に使用する属性]が、SSOリポジトリで一意な情報であるか、同一の利用者を示すものかを確認してください。一意でない場合は、SSOリポジトリを操作して、一意な情報になるようにユーザ情報を変更してください。',
      en: 'Check that the user ID and the certificate mapping attribute are unique in the SSO repository and denote the same user; if not, change the user entries so that they are.',
    },
  },
  ENTRY_NOT_FOUND: {
    text: 'Entry not found',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}に利用者のエントリが見つかりません。`,
      en: "The user's entry was not found in the SSO repository (or Active Directory).",
    },
    action: {
      ja: `${REPO_JA}の登録内容を確認してください。また、リポジトリサーバ(更新系)とリポジトリサーバ(参照系)のSSOリポジトリの内容が同等かを確認してください。`,
      en: 'Check the contents of the SSO repository, and that the update and reference repository servers hold the same contents.',
    },
  },
  OUT_OF_VALIDITY_PERIOD: {
    text: 'Outside validity period',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '利用者の認証を試みた日時が、SSOリポジトリに登録されているユーザ情報の有効期間の開始前であるか、有効期間を過ぎています。',
      en: "The authentication was attempted before the start or after the end of the user's validity period (ssoNotBefore/ssoNotAfter).",
    },
    action: {
      ja: 'SSOリポジトリのユーザ情報に設定した有効期間を確認してください。必要であれば利用者を特定し、有効期間を変更してください。',
      en: "Check the user's validity period; if necessary change it.",
    },
  },
  CERT_FORMAT_ERROR: {
    text: 'Certificate format error',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '証明書の形式に誤りがあります。', en: 'The certificate format is wrong.' },
    action: {
      ja: 'アクセスログの「クライアントのIPアドレス」をもとに対象の利用者を特定し、正しい証明書であるかを確認してください。',
      en: "Identify the user from the access log's client IP address and check that the certificate is correct.",
    },
  },
  INVALID_REQUEST: {
    text: 'Invalid request',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '不正な要求を受け付けました。', en: 'An invalid request was received.' },
    action: SEE_SYSLOG,
  },
  WRONG_ID_OR_PASSWORD: {
    text: 'Invalid ID or password',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '利用者が入力したユーザID/パスワードに誤りがある、ユーザIDが重複して登録されている、パスワード属性“userPassword”が設定されていない、証明書の[認証に使用する属性]が登録されていない、[ユーザ情報の登録先エントリ]が正しくない、オブジェクトクラス“ssoUser”が設定されていない、または提示された証明書が登録されている証明書と異なっています。',
      en: 'The user ID or password is wrong, the user ID is registered more than once, userPassword is not set, the certificate mapping attribute is not registered, the user search base is wrong, the ssoUser object class is missing, or the certificate differs from the registered one.',
    },
    action: {
      ja: '正しいユーザID/パスワードを指定してください。アクセスログに出力されるユーザIDがSSOリポジトリに登録され一意であること、“userPassword”および“ssoUser”が設定されていること、[ユーザ情報の登録先エントリ]と登録された証明書を確認してください。',
      en: 'Enter the correct user ID and password; check that the logged user ID is registered and unique, that userPassword and the ssoUser object class are set, and check the user search base and the registered certificate.',
    },
  },
  PASSWORD_EXPIRED: {
    text: 'Password expired',
    logs: REPO,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (Active Directory bind, data 532 or 773)',
    meaning: {
      ja: 'パスワードは正しいものの、Active Directoryで有効期限が切れているか、次回ログオン時に変更が必要とされています。失敗回数は加算しません。',
      en: 'The password was right, but it has expired in Active Directory or must be changed at the next logon. The failure count is not incremented.',
    },
    action: {
      ja: '利用者にWindowsのサインインなどでActive Directoryのパスワードを変更してもらってから、もう一度サインオンしてもらってください。',
      en: 'Have the user change the Active Directory password (for example at a Windows sign-in), then sign on again.',
    },
  },
  // ---- Repository server, succeeded results (update system) ---------------------------------
  ALREADY_LOCKED_UPDATE: {
    text: 'Already locked',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: '利用者はロックされています。本メッセージはリポジトリ(更新系)の場合に出力されます。',
      en: 'The user is locked (written by the update-system repository server).',
    },
    action: UNLOCK,
  },
  COUNT_UP_FAILURE_COUNT_UPDATE: {
    text: 'Count up failure count',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}のユーザ情報のパスワード認証失敗回数を加算しました。本メッセージはリポジトリサーバ(更新系)で出力されます。`,
      en: "The user's password failure count was incremented (written by the update-system repository server).",
    },
    action: NO_ACTION,
  },
  USER_LOCKED_UPDATE: {
    text: 'Locked',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: { ja: '利用者はロックされました。', en: 'The user has been locked.' },
    action: SEE_SYSLOG,
  },
  FAILURE_COUNT_NOT_RESET: {
    text: 'Failure count not reset',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}のユーザ情報のユーザステータス、パスワード認証失敗回数のリセットを行いませんでした。利用者はロック状態でなく失敗回数が記録されていなかったか、証明書で認証が行われました。`,
      en: 'The user status and password failure count were not reset: the user was not locked and had no failures recorded, or authenticated with a certificate.',
    },
    action: NO_ACTION,
  },
  REDIRECTED_OTHER_HOST: {
    text: 'Redirected to {host}',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003 (xxx = host name or IP address)',
    meaning: {
      ja: '他のマシンでサインオン中のためリダイレクトしました。',
      en: 'The request was redirected because the user is signed on at another machine ({host}).',
    },
    action: NO_ACTION,
  },
  RESET_FAILURE_COUNT: {
    text: 'Failure count reset',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: {
      ja: `${REPO_JA}のユーザ情報のユーザステータス、パスワード認証失敗回数をリセットしました。`,
      en: 'The user status and password failure count were reset.',
    },
    action: NO_ACTION,
  },
  SESSION_EXPIRED_SUCCEEDED: {
    text: 'Session expired',
    logs: REPO,
    outcome: 'succeeded',
    verified: false,
    source: 'seed 003',
    meaning: { ja: 'セションの有効期限が切れました。', en: 'The session expired.' },
    action: NO_ACTION,
  },
  // ---- Session-management log: why a session was deleted (PROPOSAL, reference §7 Q4) ----------
  SESSION_LOG_IDLE_TIMEOUT: {
    text: 'Idle timeout',
    logs: SESSION,
    outcome: 'succeeded',
    verified: false,
    source: 'reference §7 Q4 (PROPOSAL)',
    meaning: {
      ja: 'アイドル監視でタイムアウトが発生したため、セションを削除しました。',
      en: 'Idle monitoring timed the session out; the session was deleted.',
    },
    action: NO_ACTION,
  },
  SESSION_LOG_EXPIRED: {
    text: 'Session expired',
    logs: SESSION,
    outcome: 'succeeded',
    verified: false,
    source: 'reference §7 Q4 (PROPOSAL)',
    meaning: {
      ja: 'セションの最大有効期間が経過した、または強制サインオンの確認が期限内に行われなかったため、セションを削除しました。',
      en: 'The session reached its maximum lifetime, or a forced sign-on was not confirmed in time; the session was deleted.',
    },
    action: NO_ACTION,
  },
  SESSION_LOG_REAUTHENTICATION_REQUIRED: {
    text: 'Re-authentication required',
    logs: SESSION,
    outcome: 'succeeded',
    verified: false,
    source: 'reference §7 Q4 (PROPOSAL); EG-319 (ssoCredentialTTL)',
    meaning: {
      ja: '再認証間隔(ssoCredentialTTL)が経過したため、セションを削除しました。',
      en: 'The re-authentication interval (ssoCredentialTTL) elapsed; the session was deleted.',
    },
    action: NO_ACTION,
  },
  // ---- Authentication server ----------------------------------------------------------------
  NO_CREDENTIALS: {
    text: "User's ID/password and certificate do not exist",
    logs: AUTH,
    outcome: 'failed',
    verified: true,
    source: 'J-AS8',
    meaning: {
      ja: 'ユーザID/パスワードも証明書も提示されませんでした(利用者による取り消し、またはBasic認証でブラウザが入力を求める前の最初の往復)。',
      en: 'Neither ID/password nor a certificate was presented (cancelled by the user, or the first Basic-authentication round trip before the browser prompts).',
    },
    action: NO_ACTION,
  },
  PASSWORD_AUTH_REQUIRED: {
    text: 'Authentication by ID and password is required',
    logs: AUTH,
    outcome: 'failed',
    verified: true,
    source: 'J-AS8',
    meaning: {
      ja: '証明書認証に失敗した、証明書認証は成功したがパスワード認証も必要である、またはユーザID/パスワードに誤りがあります。',
      en: 'Certificate authentication failed, or it succeeded but password authentication is also required, or the ID or password is wrong.',
    },
    action: {
      ja: '利用者に正しいユーザID/パスワードでの認証を依頼してください。',
      en: 'Have the user authenticate with the correct ID and password.',
    },
  },
  CERT_AUTH_REQUIRED: {
    text: 'Authentication by certificate is required',
    logs: AUTH,
    outcome: 'failed',
    verified: false,
    source: 'J-AS7 (V7 text ends with "."; V8 form not seen)',
    meaning: { ja: '証明書認証が必要です。', en: 'Certificate authentication is required.' },
    action: {
      ja: '利用者に証明書を提示して認証するよう依頼してください。',
      en: 'Have the user authenticate with a certificate.',
    },
  },
  AUTH_INVALID_REQUEST: {
    text: 'Invalid request',
    logs: AUTH,
    outcome: 'failed',
    verified: false,
    source:
      'J-IAS12 #14 "Invalid request." (inter-authentication-server log; the authentication-server form is not seen)',
    meaning: {
      ja: '不正な要求を受け付けました(形式の誤ったフォーム、CSRFトークンの不一致、登録されていない戻り先URL、改ざんされたクレデンシャルなど)。',
      en: 'An invalid request was received: a malformed form, a CSRF token that does not match, a return URL that is not a registered site, or a forged credential.',
    },
    action: {
      ja: '同じクライアントから繰り返される場合は、攻撃の可能性を調査してください。',
      en: 'If it repeats from the same client, investigate a possible attack.',
    },
  },
  CREDENTIAL_PREVIOUS_SERVICE_ID: {
    text: 'Credential of a previous service ID',
    logs: AUTH,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-UPSID: ssoupsid replaces the service ID; the original text is not seen)',
    meaning: {
      ja: 'ssoupsidコマンドで更新される前のサービスIDで作成されたクレデンシャルが提示されました。利用者は再度サインオンします。',
      en: 'A credential sealed under the service ID that ssoupsid replaced was presented; the user signs on again.',
    },
    action: NO_ACTION,
  },
  ALREADY_AUTHENTICATED: {
    text: 'Already authenticated',
    logs: AUTH,
    outcome: 'failed',
    verified: false,
    source: 'J-AS7 (V7 text ends with "."; V8 form not seen)',
    meaning: { ja: '利用者はすでに認証されています。', en: 'The user is already authenticated.' },
    action: NO_ACTION,
  },
  // ---- Business server (Sekisho's own texts: the manual shows none, §3.3) -------------------
  BUSINESS_CREDENTIAL_MISSING: {
    text: 'No credential',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-BA90: supplementary information is not always recorded)',
    meaning: {
      ja: '要求にクレデンシャルがありません(利用者はサインオンしていません)。認証サーバへ誘導しました。',
      en: 'The request carried no credential (the user has not signed on); it was sent to the authentication server.',
    },
    action: NO_ACTION,
  },
  BUSINESS_CREDENTIAL_EXPIRED: {
    text: 'Credential expired',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (EG-319: re-authentication interval)',
    meaning: {
      ja: 'クレデンシャルの有効期限(再認証間隔)が過ぎました。利用者は再度サインオンします。',
      en: 'The credential outlived the re-authentication interval; the user signs on again.',
    },
    action: NO_ACTION,
  },
  BUSINESS_CREDENTIAL_PREVIOUS_SERVICE_ID: {
    text: 'Credential of a previous service ID',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-UPSID: ssoupsid replaces the service ID; the original text is not seen)',
    meaning: {
      ja: 'ssoupsidコマンドで更新される前のサービスIDで作成されたクレデンシャルです。利用者は再度サインオンします。',
      en: 'The credential was sealed under the service ID that ssoupsid replaced. The user signs on again.',
    },
    action: NO_ACTION,
  },
  BUSINESS_CREDENTIAL_INVALID: {
    text: 'Invalid credential',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-UPSID: credentials of another service ID do not open)',
    meaning: {
      ja: 'クレデンシャルを復号または検証できません(改ざん、形式誤り、発行日時が未来、または別のサービスIDで作成されたもの)。利用者は再度サインオンします。',
      en: 'The credential cannot be opened or checked: altered, malformed, issued in the future, or sealed under another service ID. The user signs on again.',
    },
    action: {
      ja: 'ssoupsidの実行直後でなく、同じクライアントから繰り返される場合は、攻撃の可能性を調査してください。',
      en: 'If it repeats from the same client and no service ID was just regenerated, investigate a possible attack.',
    },
  },
  BUSINESS_SESSION_INVALID: {
    text: 'Invalid session',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-SES, J-SOFF: session management)',
    meaning: {
      ja: 'セション管理がセションを無効と判定しました(サインオフ、強制サインオフ、アイドルタイムアウト、有効期限切れ)。利用者は再度サインオンします。',
      en: 'Session management found the session invalid: signed off, forcibly signed off, idle or expired. The user signs on again.',
    },
    action: NO_ACTION,
  },
  BUSINESS_USER_NOT_FOUND: {
    text: 'Entry not found',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (EG-123)',
    meaning: {
      ja: 'クレデンシャルの利用者のエントリがSSOリポジトリに見つかりません(削除された、またはユーザIDが変更された)。',
      en: "The credential's user entry is no longer in the SSO repository (deleted, or its user ID changed).",
    },
    action: {
      ja: 'SSOリポジトリの登録内容を確認してください。',
      en: 'Check the contents of the SSO repository.',
    },
  },
  BUSINESS_USER_LOCKED: {
    text: 'User locked',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (J-LCK)',
    meaning: {
      ja: '利用者はロックされています。利用者は再度サインオンを求められます。',
      en: 'The user is locked; the user is asked to sign on again.',
    },
    action: UNLOCK,
  },
  BUSINESS_OUT_OF_VALIDITY_PERIOD: {
    text: 'Outside validity period',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (EG-41: ssoNotBefore/ssoNotAfter)',
    meaning: {
      ja: '利用者の有効期間(ssoNotBefore/ssoNotAfter)の外です。',
      en: "The request falls outside the user's validity period (ssoNotBefore/ssoNotAfter).",
    },
    action: {
      ja: '必要であれば利用者の有効期間を変更してください。',
      en: "Change the user's validity period if necessary.",
    },
  },
  BUSINESS_USER_INFO_INVALID: {
    text: 'Invalid user information',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: '利用者のユーザID、DNまたはロール名に制御文字が含まれており、業務アプリケーションへ渡せません。',
      en: "The user's ID, DN or a role name contains control characters and cannot be passed to the application.",
    },
    action: {
      ja: 'SSOリポジトリのユーザ情報を修正してください。',
      en: "Correct the user's entry in the SSO repository.",
    },
  },
  BUSINESS_ROLE_MISMATCH: {
    text: 'Role mismatch',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho (EG-325: any-match of roles)',
    meaning: {
      ja: '利用者のロール(ロールセットを展開したもの)に、保護リソースのロールが一つもありません。',
      en: "None of the protected resource's roles is among the user's roles (role sets expanded).",
    },
    action: {
      ja: '利用者にアクセスを許可する場合は、ロールを追加してください。',
      en: 'If the user should have access, give the user one of the roles.',
    },
  },
  BUSINESS_PATH_INVALID: {
    text: 'Invalid path',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: 'URLのパスが拒否されました(エンコードされたスラッシュ、二重エンコード、..、制御文字など、サーバにより解釈が異なり得る表記)。',
      en: 'The URL path was refused: a spelling that servers may read differently (encoded slash, double encoding, dot segments, control characters…).',
    },
    action: {
      ja: '同じクライアントから繰り返される場合は、攻撃の可能性を調査してください。',
      en: 'If it repeats from the same client, investigate a possible attack.',
    },
  },
  BUSINESS_RESOURCE_NOT_REGISTERED: {
    text: 'Resource not registered',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: '保護サイトのパスですが、どの保護リソースにも該当しません(未登録のパスは拒否する設定です)。',
      en: 'The path belongs to a protected site but no protected resource covers it (unregistered paths are denied).',
    },
    action: {
      ja: '必要であれば保護リソースを登録し、アクセス制御情報を更新してください。',
      en: 'Register a protected resource if necessary, then update the access-control information.',
    },
  },
  BUSINESS_SITE_NOT_REGISTERED: {
    text: 'Site not registered',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: 'URLのホストとポートが保護サイトとして登録されていません。',
      en: 'The host and port of the URL are not a registered protected site.',
    },
    action: {
      ja: 'プロキシの設定と保護サイトの登録内容を確認してください。',
      en: 'Check the proxy configuration and the registered sites.',
    },
  },
  BUSINESS_INVALID_REQUEST: {
    text: 'Invalid request',
    logs: BUSINESS,
    outcome: 'failed',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: '認可要求が不正です(信頼しないアドレスからの要求、転送ヘッダの欠落や矛盾、httpsでないURL)。',
      en: 'The authorization request is invalid: it came from an untrusted address, its forwarded headers are missing or contradict each other, or the URL is not https.',
    },
    action: {
      ja: 'プロキシの設定(信頼するプロキシのアドレス、転送ヘッダ)を確認してください。',
      en: 'Check the proxy configuration (trusted proxy addresses, forwarded headers).',
    },
  },
  BUSINESS_RESOURCE_NOT_PROTECTED: {
    text: 'Resource not protected',
    logs: BUSINESS,
    outcome: 'succeeded',
    verified: false,
    source: 'Sekisho',
    meaning: {
      ja: '保護サイトのパスですが、どの保護リソースにも該当しないため、認証なしで通過させました(未登録のパスを許可する設定です)。',
      en: 'The path belongs to a protected site but no protected resource covers it, so it passed without authentication (unregistered paths are allowed).',
    },
    action: NO_ACTION,
  },
} as const satisfies Record<string, SupplementaryEntry>;

export type SupplementaryId = keyof typeof SUPPLEMENTARY;

/** Every id, in catalogue order. */
export const SUPPLEMENTARY_IDS = Object.keys(SUPPLEMENTARY) as SupplementaryId[];

/** The catalogue entry of an id. */
export function supplementaryEntry(id: SupplementaryId): SupplementaryEntry {
  return SUPPLEMENTARY[id];
}

/**
 * The id of a text read back from a line of `log` with `outcome`, or undefined. A text with a
 * `{host}` placeholder matches with any host in its place.
 */
export function supplementaryIdOf(
  log: LogKind,
  outcome: Outcome,
  text: string,
): SupplementaryId | undefined {
  for (const id of SUPPLEMENTARY_IDS) {
    const e: SupplementaryEntry = SUPPLEMENTARY[id];
    if (e.outcome !== outcome || !e.logs.includes(log)) continue;
    const at = e.text.indexOf('{host}');
    if (at < 0 ? e.text === text : text.startsWith(e.text.slice(0, at)) && text.length > at) {
      return id;
    }
  }
  return undefined;
}
