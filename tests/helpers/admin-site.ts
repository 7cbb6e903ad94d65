// The registered site `app.example.com` (port 443) whose one resource `/` needs the first
// administrator's role: what the main-job tests protect, added straight to the store.
import type { AccessControlRepository } from '../../src/sso/ports/access-control-repository.ts';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';

export const APP_SITE_DN = 'dc=app,dc=example,dc=com,ou=sites,dc=sekisho,dc=local';

export async function addAdminSite(accessControl: AccessControlRepository): Promise<void> {
  const add = (dn: string, attributes: Record<string, string[]>) =>
    accessControl.add(parseAccessEntry({ dn, attributes: new Map(Object.entries(attributes)) }));
  await add('cn=sekisho-admin,dc=sekisho,dc=local', {
    objectClass: ['ssoRole'],
    cn: ['sekisho-admin'],
  });
  await add('ou=sites,dc=sekisho,dc=local', { objectClass: ['organizationalUnit'], ou: ['sites'] });
  await add(APP_SITE_DN, { objectClass: ['domain', 'ssoSite'], dc: ['app'] });
  await add(`cn=/,${APP_SITE_DN}`, {
    objectClass: ['ssoResource'],
    cn: ['/'],
    ssoRoleName: ['sekisho-admin'],
  });
}
