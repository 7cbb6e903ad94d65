// The console on the in-process HTTPS harness (tests/http/sso-harness.ts) with session
// management on, an administrator `root` (role sekisho-admin), and helpers to sign on and to
// post the console's forms the way a browser does (same-origin, with the page's CSRF token).
import assert from 'node:assert/strict';
import { ADMIN_ROLE } from '../../src/main/sso.ts';
import {
  Browser,
  makePki,
  startSso,
  type Reply,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

export const ROOT_PASSWORD = 'root-password-0123';

export interface ConsoleFixture {
  readonly server: SsoServer;
  readonly pki: TestPki;
  close(): Promise<void>;
}

export async function startConsole(config: object = {}): Promise<ConsoleFixture> {
  const pki = await makePki();
  const server = await startSso({
    pki,
    console: true,
    management: true,
    config: { sessions: { enabled: true }, ...config },
  });
  await server.addUser('root', { password: ROOT_PASSWORD, ssoRoleName: [ADMIN_ROLE] });
  return { server, pki, close: () => server.close() };
}

/** The first CSRF token on a console page. */
export function consoleCsrf(body: string): string {
  const m = /name="csrf"\s+value="([A-Za-z0-9_-]+)"/.exec(body);
  assert.ok(m, `no CSRF token in ${body.slice(0, 2000)}`);
  return m[1]!;
}

/** A browser signed on to the console (lands on the users page). */
export async function consoleBrowser(
  f: ConsoleFixture,
  uid = 'root',
  password = ROOT_PASSWORD,
): Promise<Browser> {
  const b = new Browser(f.server, f.pki);
  const form = await b.request('/console/signon');
  assert.equal(form.status, 200);
  const r = await b.post('/console/signon', { csrf: consoleCsrf(form.body), uid, password });
  assert.equal(r.status, 303, r.body);
  return b;
}

/** Posts a console form with the CSRF token of `page` (GET first). */
export async function postForm(
  b: Browser,
  page: string,
  action: string,
  fields: Record<string, string>,
): Promise<Reply> {
  const p = await b.request(page);
  assert.equal(p.status, 200, `${page}: ${p.body.slice(0, 500)}`);
  return b.post(action, { csrf: consoleCsrf(p.body), ...fields });
}

/** The text of the flash message of a page (role=status or role=alert). */
export function flashOf(body: string): string | undefined {
  const m = /<p[^>]*role="(?:status|alert)"[^>]*>\s*([^<]*?)\s*</.exec(body);
  return m?.[1];
}
