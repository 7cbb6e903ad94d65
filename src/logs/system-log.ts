/**
 * The system log (シスログ) of the SSO roles: server-side conditions an operator must see —
 * a user locked, a lock released, an access log that cannot be written — as opposed to the
 * access logs, which record what clients did (J-ALG: client-caused problems go to the access
 * log, server-caused ones only to the system log).
 *
 * Message ids and texts of the original are used where a manual shows them (`verified: true`,
 * shared/reference/sso-interstage.md §6). For conditions whose original message is unknown,
 * Sekisho uses ids in its own range `sso09xxx`, which no Interstage message uses, and marks
 * them unverified.
 *
 * One line per message, UTF-8, LF:
 *
 *     2026-11-23T14:05:09.120+09:00 WARNING sso01060 User was locked. UserID=(alice) DN=(uid=alice,ou=users,dc=sekisho,dc=local)
 *
 * Parameters are escaped as quoted access-log fields are (src/logs/escape.ts), and `(`/`)`
 * inside a parameter as `\x28`/`\x29`, so that no input can split a line or close a
 * parameter early.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { escapeQuoted } from './escape.ts';

export const SYSTEM_LOG_SEVERITIES = ['ERROR', 'WARNING', 'INFO'] as const;
export type SystemLogSeverity = (typeof SYSTEM_LOG_SEVERITIES)[number];

export interface SystemMessage {
  readonly severity: SystemLogSeverity;
  /** `%s1`, `%s2`, … are replaced by the parameters in order. */
  readonly text: string;
  readonly verified: boolean;
  readonly source: string;
  readonly action: { readonly ja: string; readonly en: string };
}

/** The catalogue, by message id. */
export const SYSTEM_MESSAGES = {
  sso01060: {
    severity: 'WARNING',
    text: 'User was locked. UserID=(%s1) DN=(%s2)',
    verified: true,
    source: 'J-M1060',
    action: {
      ja: '利用者に確認し、必要に応じてロックを解除してください。攻撃の可能性もあります。',
      en: 'Check with the user and release the lock if appropriate; it may also be an attack.',
    },
  },
  sso01040: {
    severity: 'ERROR',
    text: 'Access to SSO Repository failed. Code=(%x1)',
    verified: true,
    source:
      'J-M1040 (text and codes 0x01 not ready, 0x02 LDAP protocol error); Sekisho assigns 0x03 bind refused and 0x04 timeout (unverified)',
    action: {
      ja: 'SSOリポジトリ(ディレクトリサーバ)が起動しているか、接続先・サービスアカウント・証明書の設定を確認してください。',
      en: 'Check that the SSO repository (directory server) is running, and the URL, service account and certificate settings (docs/ldap.md).',
    },
  },
  sso01051: {
    severity: 'ERROR',
    text: 'Accept of request failed. Kind=(%s1) IPAddr=(%s2)',
    verified: true,
    source: 'J-M1051',
    action: {
      ja: '他の認証基盤の認証サーバ・業務サーバからの要求、セション管理の設定の不一致、環境の破壊、または攻撃の可能性があります。要求元を確認してください。',
      en: 'A request from a server of another authentication infrastructure, a session-management setting that differs, a broken environment, or an attack: check the sender.',
    },
  },
  sso09001: {
    severity: 'INFO',
    text: 'User lock was released automatically. UserID=(%s1) DN=(%s2)',
    verified: false,
    source: 'EG-41, J-UNL (automatic release is recorded in the system log; text not seen)',
    action: { ja: '対処は不要です。', en: 'No action is required.' },
  },
  sso09002: {
    severity: 'INFO',
    text: 'User lock was released by the administrator. UserID=(%s1) DN=(%s2)',
    verified: false,
    source: 'EG-204 (text not seen)',
    action: { ja: '対処は不要です。', en: 'No action is required.' },
  },
  sso09003: {
    severity: 'ERROR',
    text: 'The access log could not be written. File=(%s1) Cause=(%s2)',
    verified: false,
    source: 'J-LOG6 (a log that cannot be written raises a system log message; text not seen)',
    action: {
      ja: 'ディスクの空き容量とファイルのアクセス権を確認してください。書き込めない間のアクセスログは失われます。',
      en: 'Check free disk space and the permissions of the file; lines are lost while it cannot be written.',
    },
  },
  sso09004: {
    severity: 'ERROR',
    text: 'The credential key could not be read. Cause=(%s1)',
    verified: false,
    source: 'Sekisho (service ID wrapped by the key-encryption key)',
    action: {
      ja: 'キーサーバの状態をイベントログ(lseventlog)で確認してください。',
      en: 'Check the key servers in the event log (lseventlog).',
    },
  },
  sso09005: {
    severity: 'ERROR',
    text: 'The connection to the cluster store was lost. Store=(%s1) Cause=(%s2)',
    verified: false,
    source: 'Sekisho (several nodes over Redis, docs/cluster.md)',
    action: {
      ja: 'Redis(またはValkey)の状態とネットワークを確認してください。復旧するまで、セションとロックアウトを必要とする要求は失敗します(フェイルクローズ)。',
      en: 'Check Redis (or Valkey) and the network. Until it is back, requests that need sessions or lockout fail (fail closed).',
    },
  },
  sso09006: {
    severity: 'INFO',
    text: 'The connection to the cluster store is back. Store=(%s1)',
    verified: false,
    source: 'Sekisho (several nodes over Redis, docs/cluster.md)',
    action: { ja: '対処は不要です。', en: 'No action is required.' },
  },
  sso09007: {
    severity: 'INFO',
    text: 'The settings were changed. Settings=(%s1) File=(%s2) Client=(%s3)',
    verified: false,
    source: 'Sekisho (chssoconfig, the console Settings page; docs/cli.md)',
    action: {
      ja: '意図した変更であることを確認してください。',
      en: 'Check that the change was intended.',
    },
  },
} as const satisfies Record<string, SystemMessage>;

export type SystemMessageId = keyof typeof SYSTEM_MESSAGES;

const pad = (n: number, w = 2): string => String(Math.trunc(Math.abs(n))).padStart(w, '0');

/** ISO 8601 local time with milliseconds and the offset, e.g. `2026-11-23T14:05:09.120+09:00`. */
export function systemLogTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  );
}

function escapeParameter(s: string): string {
  return escapeQuoted(s).replaceAll('(', '\\x28').replaceAll(')', '\\x29');
}

/** The text of a message with its parameters (`%sN` text, `%xN` a code such as `0x01`). */
export function systemMessageText(id: SystemMessageId, params: readonly string[]): string {
  return SYSTEM_MESSAGES[id].text.replace(/%[sx](\d)/g, (_m, n: string) =>
    escapeParameter(params[Number(n) - 1] ?? ''),
  );
}

/** One system-log line (without the newline). */
export function formatSystemLine(
  id: SystemMessageId,
  params: readonly string[],
  time: Date,
): string {
  return `${systemLogTime(time)} ${SYSTEM_MESSAGES[id].severity} ${id} ${systemMessageText(id, params)}`;
}

/** Where system messages go. */
export interface SystemLog {
  write(id: SystemMessageId, ...params: string[]): void;
}

export interface FileSystemLogOptions {
  /** The file, e.g. `DATA/logs/system.log`; absent = no file. */
  readonly path?: string | undefined;
  /** Also called with every line (e.g. the process's standard error). */
  readonly echo?: ((line: string) => void) | undefined;
  readonly now?: () => Date;
}

/**
 * A system log appended synchronously (messages are rare and must not be lost in a crash). A
 * file that cannot be written never throws to the caller: the line still reaches `echo`.
 */
export class FileSystemLog implements SystemLog {
  readonly #path: string | undefined;
  readonly #echo: ((line: string) => void) | undefined;
  readonly #now: () => Date;
  #dirMade = false;

  constructor(options: FileSystemLogOptions) {
    this.#path = options.path;
    this.#echo = options.echo;
    this.#now = options.now ?? (() => new Date());
  }

  write(id: SystemMessageId, ...params: string[]): void {
    const line = formatSystemLine(id, params, this.#now());
    this.#echo?.(line);
    if (this.#path === undefined) return;
    try {
      if (!this.#dirMade) {
        mkdirSync(dirname(this.#path), { recursive: true });
        this.#dirMade = true;
      }
      appendFileSync(this.#path, line + '\n', { mode: 0o640 });
    } catch {
      // The echo carries the message; the system log has nowhere else to report to.
    }
  }
}

/** A system log kept in memory (tests, and embedding without files). */
export class MemorySystemLog implements SystemLog {
  readonly lines: string[] = [];
  readonly #now: () => Date;
  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }
  write(id: SystemMessageId, ...params: string[]): void {
    this.lines.push(formatSystemLine(id, params, this.#now()));
  }
}
