/**
 * schema/sekisho.schema and schema/sekisho.ldif hold the same definitions, and the LDIF form
 * loads into a running slapd over ldapi with `ldapadd -Y EXTERNAL` as docs/ldap.md says
 * (the fixture of tests/helpers/slapd.ts loads it offline with slapadd).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { schemaDefinitions, schemaToLdif, startSlapd } from '../helpers/slapd.ts';

const schema = readFileSync(new URL('../../schema/sekisho.schema', import.meta.url), 'utf8');
const ldif = readFileSync(new URL('../../schema/sekisho.ldif', import.meta.url), 'utf8');

/** The definitions of the LDIF: unfolded `olc…: value` lines. */
function ldifDefinitions(text: string): string[] {
  const unfolded = text.replace(/\n /g, '');
  return [...unfolded.matchAll(/^olc(ObjectIdentifier|AttributeTypes|ObjectClasses): (.*)$/gm)].map(
    (m) => `${m[1]!}: ${m[2]!}`,
  );
}

test('the .ldif holds exactly the definitions of the .schema', () => {
  const fromSchema = ldifDefinitions(schemaToLdif(schema, 'sekisho'));
  assert.ok(fromSchema.length >= 15);
  assert.deepEqual(ldifDefinitions(ldif), fromSchema);
  const names = schemaDefinitions(schema).map(([, body]) => /NAME '([^']+)'/.exec(body)?.[1]);
  for (const n of ['ssoUser', 'ssoRole', 'ssoRoleSet', 'ssoSite', 'ssoResource', 'ssoPortNumber']) {
    assert.ok(names.includes(n), n);
  }
});

const slapd = await startSlapd();
after(() => slapd.close());

test('the .ldif loads over ldapi into a server without it, as docs/ldap.md says', async () => {
  // The fixture already has it as cn={4}sekisho: load it again under another name, with the
  // names changed so that they do not clash, to prove the file is accepted as it is written.
  const renamed = ldif
    .replace(/\n /g, '')
    .replace('cn: sekisho', 'cn: sekisho2')
    .replace('cn=sekisho,', 'cn=sekisho2,')
    .replaceAll("NAME 'sso", "NAME 'copy")
    .replaceAll('SekishoRoot 2.25.', 'SekishoRoot 2.25.1')
    .replaceAll(/\bSekisho(Root|AttributeType|ObjectClass)\b/g, 'Copy$1');
  await slapd.modify(renamed, 'config');
  const root = await slapd.rootClient();
  try {
    const { searchEntries } = await root.search('cn=Subschema', {
      scope: 'base',
      attributes: ['objectClasses'],
    });
    const classes = JSON.stringify(searchEntries[0]);
    assert.match(classes, /NAME 'copyUser'/);
    assert.match(classes, /NAME 'ssoUser'/);
  } finally {
    await root.unbind();
  }
});
