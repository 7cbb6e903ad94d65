// The system log: exact lines, escaping that no parameter can break, and a file that cannot be
// written never reaching the caller.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  FileSystemLog,
  MemorySystemLog,
  SYSTEM_MESSAGES,
  formatSystemLine,
  systemLogTime,
  systemMessageText,
} from '../../src/logs/index.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-syslog-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('system log', () => {
  it('writes sso01060 with the manual text (J-M1060)', () => {
    assert.equal(
      systemMessageText('sso01060', ['alice', 'uid=alice,ou=users,dc=example']),
      'User was locked. UserID=(alice) DN=(uid=alice,ou=users,dc=example)',
    );
    assert.equal(SYSTEM_MESSAGES.sso01060.verified, true);
  });

  it('formats the time as local ISO 8601 with the offset', () => {
    const t = systemLogTime(new Date(Date.UTC(2026, 10, 23, 5, 6, 7, 89)));
    assert.match(t, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
    const line = formatSystemLine('sso09001', ['bob', 'uid=bob'], new Date(0));
    assert.match(
      line,
      / INFO sso09001 User lock was released automatically\. UserID=\(bob\) DN=\(uid=bob\)$/,
    );
  });

  it('escapes parameters: no newline, no early ")", no forged field', () => {
    const hostile = 'x) DN=(forged)\nFAKE 2026 ERROR sso01060 \u2028"\\';
    const text = systemMessageText('sso01060', [hostile, 'dn']);
    assert.equal(text.includes('\n'), false);
    assert.equal(text.includes('\u2028'), false);
    assert.equal((text.match(/\)/g) ?? []).length, 2, text);
    assert.equal(
      text,
      'User was locked. UserID=(x\\x29 DN=\\x28forged\\x29\\x0AFAKE 2026 ERROR sso01060 \\u2028\\"\\\\) DN=(dn)',
    );
  });

  it('appends to its file and echoes each line', () => {
    const file = path.join(dir, 'logs', 'system.log');
    const echoed: string[] = [];
    const log = new FileSystemLog({ path: file, echo: (l) => echoed.push(l) });
    log.write('sso09002', 'carol', 'uid=carol');
    log.write('sso09003', '/x/y.log', 'ENOSPC');
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(lines.slice(0, 2), echoed);
    assert.match(
      lines[1]!,
      / ERROR sso09003 The access log could not be written\. File=\(\/x\/y\.log\) Cause=\(ENOSPC\)$/,
    );
  });

  it('never throws when the file cannot be written; the echo still gets the line', () => {
    const blocker = path.join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const echoed: string[] = [];
    const log = new FileSystemLog({
      path: path.join(blocker, 'system.log'),
      echo: (l) => echoed.push(l),
    });
    assert.doesNotThrow(() => {
      log.write('sso01060', 'u', 'dn');
    });
    assert.equal(echoed.length, 1);
  });

  it('MemorySystemLog keeps formatted lines', () => {
    const m = new MemorySystemLog(() => new Date(0));
    m.write('sso01060', 'u', 'd');
    assert.equal(m.lines.length, 1);
    assert.ok(m.lines[0]!.endsWith('WARNING sso01060 User was locked. UserID=(u) DN=(d)'));
  });
});
