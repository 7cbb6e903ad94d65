// A real business server (src/sso/servers/business-server.ts) on the in-memory repositories, for
// the tests of its HTTP faces (reverse proxy, middleware): the site https://app.example.com
// (port 443) with `/` open to role `staff` and `/admin/` to role `admin`; alice has `staff`,
// bob has no role; credentials sealed with a random service ID.
import { randomBytes } from 'node:crypto';
import type { BusinessRecord } from '../../src/logs/index.ts';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import { deriveKeys, newCredentialId, sealCredential } from '../../src/sso/core/credential.ts';
import { newSsoUser } from '../../src/sso/core/user.ts';
import { MemoryAccessControlRepository } from '../../src/sso/ports/memory-access-control-repository.ts';
import { MemoryUserRepository } from '../../src/sso/ports/memory-user-repository.ts';
import { BusinessServer } from '../../src/sso/servers/business-server.ts';
import type { Decision, Verifier, VerifyRequest } from '../../src/http/business-guard.ts';

export const PUBLIC_ORIGIN = 'https://app.example.com';
export const SIGN_ON_URL = 'https://sso.example.com/sso/signon';
const SITE_DN = 'dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local';
export const dnOf = (uid: string): string => `uid=${uid},ou=users,dc=sekisho,dc=local`;

export interface BusinessFixture {
  readonly server: BusinessServer;
  /** A valid credential of a user of the fixture. */
  token(uid: string): string;
  /** Business-log records written so far. */
  readonly records: BusinessRecord[];
}

function entry(dn: string, attributes: Record<string, string[]>) {
  return parseAccessEntry({ dn, attributes: new Map(Object.entries(attributes)) });
}

export async function businessFixture(): Promise<BusinessFixture> {
  const keys = deriveKeys(randomBytes(32));
  const accessControl = new MemoryAccessControlRepository();
  const users = new MemoryUserRepository();
  for (const e of [
    entry('ou=roles,dc=sekisho,dc=local', { objectClass: ['organizationalUnit'], ou: ['roles'] }),
    entry('cn=staff,ou=roles,dc=sekisho,dc=local', { objectClass: ['ssoRole'], cn: ['staff'] }),
    entry('cn=admin,ou=roles,dc=sekisho,dc=local', { objectClass: ['ssoRole'], cn: ['admin'] }),
    entry('ou=sites,dc=sekisho,dc=local', { objectClass: ['organizationalUnit'], ou: ['sites'] }),
    entry(SITE_DN, { objectClass: ['domain', 'ssoSite'], dc: ['app'], ssoPortNumber: ['443'] }),
    entry(`cn=/,${SITE_DN}`, { objectClass: ['ssoResource'], cn: ['/'], ssoRoleName: ['staff'] }),
    entry(`cn=/admin/,${SITE_DN}`, {
      objectClass: ['ssoResource'],
      cn: ['/admin/'],
      ssoRoleName: ['admin'],
    }),
  ]) {
    await accessControl.add(e);
  }
  await users.add(newSsoUser(dnOf('alice'), 'alice', { ssoRoleName: ['staff'] }));
  await users.add(newSsoUser(dnOf('bob'), 'bob'));
  const records: BusinessRecord[] = [];
  const server = new BusinessServer({
    users,
    accessControl,
    credentialKey: () => Promise.resolve(keys.credential),
    log: (r) => records.push(r),
    logRepository: () => undefined,
  });
  const token = (uid: string): string => {
    const now = Math.floor(Date.now() / 1000);
    return sealCredential(keys.credential, {
      id: newCredentialId(),
      dn: dnOf(uid),
      uid,
      method: 'basicAuth',
      issuedAt: now,
      expiresAt: now + 1800,
      sessionId: null,
    });
  };
  return { server, token, records };
}

/**
 * A verifier that allows every request as one fixed identity, whatever it holds: for checking
 * what a guard does with an identity the business server would itself refuse.
 */
export class FixedVerifier implements Verifier {
  readonly seen: VerifyRequest[] = [];
  readonly #decision: Decision;
  constructor(decision: Decision) {
    this.#decision = decision;
  }
  verify(req: VerifyRequest): Promise<Decision> {
    this.seen.push(req);
    return Promise.resolve(this.#decision);
  }
}
