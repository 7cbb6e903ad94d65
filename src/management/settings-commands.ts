/**
 * The SSO settings in force, for the console's Settings page (and REST and the CLI):
 *
 *   npx sekisho lsssoconfig                              lockout, sessions, log rotation
 *
 * They are those the running `sekisho start` read from its configuration; a stand-alone CLI
 * process does not have them.
 */
import { UsageError } from '../cli/args.ts';
import type { ManagementCommand } from './commands.ts';

export const SETTINGS_COMMANDS: Record<string, ManagementCommand> = {
  lsssoconfig: {
    summary: 'show the SSO settings in force: lockout policy, session timeouts, log rotation',
    spec: {
      options: {
        delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
      },
    },
    run: (_a, { services }) => {
      const s = services.ssoSettings;
      if (s === undefined)
        throw new UsageError('the settings are those of the running sekisho start; start it first');
      return Promise.resolve({
        output: { kind: 'detail', pairs: Object.entries(s).map(([k, v]) => [k, String(v)]) },
      });
    },
  },
};
