/**
 * Runs once before every test file (node --test-global-setup): installs the Debian packages
 * the integration tests start (as root), or fails with the exact command to run.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Debian packages the test suite needs (nginx-light: its nginx has auth_request built in;
 * redis-server for the Redis session store, tests/helpers/redis.ts; slapd and ldap-utils for
 * the LDAP repository, tests/helpers/slapd.ts, which starts its own slapd — the package's
 * system service is never started, see scripts/test-env/ensure-packages.sh).
 */
export const TEST_PACKAGES = [
  'python3-pykmip',
  'openssl',
  'nginx-light',
  'redis-server',
  'chromium',
  // Japanese glyphs for Chromium: the console's Japanese pages are laid out (and checked for
  // overflow, and photographed for docs/console/) with real glyph widths, not boxes.
  'fonts-ipafont-gothic',
  'slapd',
  'ldap-utils',
];

export function globalSetup(): void {
  const script = fileURLToPath(new URL('../scripts/test-env/ensure-packages.sh', import.meta.url));
  execFileSync('bash', [script, ...TEST_PACKAGES], { stdio: ['ignore', 'ignore', 'inherit'] });
}
