// The console taken from the server's app by URL (src/http/console/lazy.ts): exactly `/console`
// and what is under it, query strings included, and nothing that merely starts alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConsoleUrl } from '../../src/http/console/lazy.ts';

test('the console’s URLs, and only those, go to the console', () => {
  for (const url of ['/console', '/console/', '/console/users?page=2', '/console?lang=ja'])
    assert.equal(isConsoleUrl(url), true, url);
  for (const url of [
    '/consoles',
    '/console-x',
    '/consolе/',
    '/',
    '/rest/v1/lsnode',
    '/sso/console/',
  ])
    assert.equal(isConsoleUrl(url), false, url);
  // A path that climbs out is still the console's (whose router then answers 404): it never
  // reaches the management API without its token.
  assert.equal(isConsoleUrl('/console/../rest/v1/lsnode'), true);
});
