/**
 * The repository server on an LDAP repository (slapd, tests/helpers/slapd.ts) when the
 * directory fails: the request is logged `Authentication(<method>) failed.` with the
 * supplementary of the reason (connect, bind, timeout), the system log gets sso01040 with its
 * code, and the call rejects with SSO_REPOSITORY_UNAVAILABLE for the HTTP layer to answer 503.
 * "Mid sign-on": slapd is stopped after the user was read and before the failure is counted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { isRepositoryUnavailable } from '../../../src/sso/core/errors.ts';
import type { UserRepository } from '../../../src/sso/ports/user-repository.ts';
import { LdapPool, type LdapConnectionOptions } from '../../../src/storage/ldap/connection.ts';
import { LdapUserRepository } from '../../../src/storage/ldap/user-store.ts';
import { startSlapd } from '../../helpers/slapd.ts';
import { PASSWORD, WRONG, repoLine, rig, systemLine, tarou } from './harness.ts';

const slapd = await startSlapd({ suffix: '' });
after(() => slapd.close());
const ca = readFileSync(slapd.caFile, 'utf8');

const pools: LdapPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));

async function ldapRepository(o: Partial<LdapConnectionOptions> = {}): Promise<LdapUserRepository> {
  await slapd.removeTree('o=example');
  await slapd.addEntries([
    { dn: 'o=example', attributes: { objectClass: 'organization', o: 'example' } },
    { dn: 'ou=User,o=example', attributes: { objectClass: 'organizationalUnit', ou: 'User' } },
  ]);
  const pool = new LdapPool({
    url: slapd.ldapsUrl,
    ca,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    timeoutMs: 1000,
    ...o,
  });
  pools.push(pool);
  return new LdapUserRepository({ pool, userBase: 'o=example' });
}

const rejectsUnavailable = (reason: string) => (e: unknown) =>
  isRepositoryUnavailable(e) && e.reason === reason;

void describe('repository server on LDAP, the directory failing', () => {
  void it('slapd goes down mid sign-on: Connection to SSO Repository failed, sso01040 0x01', async () => {
    const ldap = await ldapRepository();
    await ldap.add(await tarou({ sn: ['Tarou'] }));
    // The real repository; slapd is stopped the moment the server writes the failure count.
    const users = new Proxy<UserRepository>(ldap, {
      get(target, key) {
        if (key === 'recordFailure') {
          return async (...args: Parameters<UserRepository['recordFailure']>) => {
            await slapd.stop();
            return target.recordFailure(...args);
          };
        }
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const r = await rig({ repository: users });
    try {
      assert.equal(
        (await r.authenticate({ uid: 'tarou', password: PASSWORD })).outcome.outcome,
        'succeeded',
      );
      r.clear();
      await assert.rejects(
        r.authenticate({ uid: 'tarou', password: WRONG }),
        rejectsUnavailable('connect'),
      );
      assert.deepEqual(r.repositoryLines, [
        repoLine(
          'tarou',
          'Authentication(basicAuth) failed. (Connection to SSO Repository failed)',
        ),
      ]);
      assert.deepEqual(r.system.lines, [
        systemLine('ERROR sso01040 Access to SSO Repository failed. Code=(0x01)'),
      ]);
      // Down before the request: the lookup itself fails the same way.
      r.clear();
      await assert.rejects(
        r.authenticate({ uid: 'tarou', password: PASSWORD }),
        rejectsUnavailable('connect'),
      );
      assert.equal(r.repositoryLines.length, 1);
      // Back up: the same repository object serves again.
      await slapd.start();
      assert.equal(
        (await r.authenticate({ uid: 'tarou', password: PASSWORD })).outcome.outcome,
        'succeeded',
      );
    } finally {
      await slapd.start();
    }
  });

  void it('a refused service bind: Authentication of SSO Repository failed, 0x03', async () => {
    const r = await rig({ repository: await ldapRepository({ bindPassword: 'wrong' }) });
    await assert.rejects(
      r.authenticate({ uid: 'tarou', password: PASSWORD }),
      rejectsUnavailable('bind'),
    );
    assert.deepEqual(r.repositoryLines, [
      repoLine(
        'tarou',
        'Authentication(basicAuth) failed. (Authentication of SSO Repository failed)',
      ),
    ]);
    assert.deepEqual(r.system.lines, [
      systemLine('ERROR sso01040 Access to SSO Repository failed. Code=(0x03)'),
    ]);
  });

  void it('a directory that never answers: Timeout in access of SSO Repository, 0x04', async () => {
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hung.address() as net.AddressInfo;
      const r = await rig({
        repository: await ldapRepository({ url: `ldaps://127.0.0.1:${port}`, timeoutMs: 300 }),
      });
      await assert.rejects(
        r.authenticate({ uid: 'tarou', password: PASSWORD }),
        rejectsUnavailable('timeout'),
      );
      assert.deepEqual(r.repositoryLines, [
        repoLine(
          'tarou',
          'Authentication(basicAuth) failed. (Timeout in access of SSO Repository)',
        ),
      ]);
      assert.deepEqual(r.system.lines, [
        systemLine('ERROR sso01040 Access to SSO Repository failed. Code=(0x04)'),
      ]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});
