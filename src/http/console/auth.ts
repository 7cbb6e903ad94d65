/**
 * Who may use the console: users whose effective roles (their `ssoRoleName` values, role sets
 * expanded recursively, src/sso/core/access-control.ts) include the administrator role.
 * The administrator role counts as a role whether or not an `ssoRole` entry of that name
 * exists: the first start gives it to `admin` before any role is defined.
 */
import { expandRoles, type SsoRole } from '../../sso/core/access-control.ts';
import type { SsoUser } from '../../sso/core/user.ts';
import type { ManagementServices } from '../../management/context.ts';

export async function isAdministrator(
  user: SsoUser,
  access: ManagementServices['accessControl'],
  adminRole: string,
): Promise<boolean> {
  if (user.ssoRoleName.length === 0) return false;
  const builtIn: SsoRole = { kind: 'role', dn: '', cn: adminRole };
  const effective = expandRoles(user.ssoRoleName, await access.list('roleSet'), [
    ...(await access.list('role')),
    builtIn,
  ]);
  return effective.has(adminRole.toLowerCase());
}
