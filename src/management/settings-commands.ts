/**
 * The SSO settings, for the console's Settings page, REST and the CLI:
 *
 *   npx sekisho lsssoconfig                              lockout, sessions, log rotation in force
 *   npx sekisho chssoconfig -set PATH=VALUE[,PATH=VALUE…]
 *
 * `lsssoconfig` shows the settings of the running `sekisho start` (a stand-alone CLI process
 * has none), and, as `PATH (next start)`, values the file holds that are not yet in force.
 * `chssoconfig` changes the settable settings (src/config/settable.ts) in the configuration
 * file; the lockout and session settings take effect at once in the running server, the log
 * rotation at its next start. The CLI parser refuses a repeated option, so several settings
 * are one comma-separated `-set` (no settable value contains a comma).
 */
import { UsageError } from '../cli/args.ts';
import type { ManagementCommand } from './commands.ts';

/** Longest `-set` value, characters: every settable setting once, with room to spare. */
const MAX_SET = 1024;

/** The settable settings (src/config/settable.ts SETTABLE_SETTINGS), for the usage text. */
const SETTABLE = [
  'repository.password-max-failure-count',
  'repository.lock-out-time',
  'sessions.idle-timeout',
  'sessions.max-lifetime',
  'sessions.forced-sign-on',
  'logs.max-size',
  'logs.save-mode',
  'logs.keep',
].join(', ');

export const SETTINGS_COMMANDS: Record<string, ManagementCommand> = {
  lsssoconfig: {
    summary: 'show the SSO settings in force: lockout policy, session timeouts, log rotation',
    spec: {
      options: {
        delim: { kind: 'string', arg: 'C', help: 'separate columns with the character C' },
      },
    },
    run: (_a, { services }) => {
      const s = services.settings?.inForce();
      if (s === undefined)
        throw new UsageError('the settings are those of the running sekisho start; start it first');
      const pending = services.settings?.pending() ?? {};
      return Promise.resolve({
        output: {
          kind: 'detail',
          pairs: [
            ...Object.entries(s).map(([k, v]): [string, string] => [k, String(v)]),
            ...Object.entries(pending).map(([k, v]): [string, string] => [
              `${k} (next start)`,
              String(v),
            ]),
          ],
        },
      });
    },
  },
  chssoconfig: {
    summary:
      'change SSO settings (lockout, session timeouts, log rotation) in the configuration file',
    spec: {
      options: {
        set: {
          kind: 'string',
          arg: 'PATH=VALUE[,PATH=VALUE…]',
          required: true,
          maxBytes: MAX_SET,
          help: `settings to change, by configuration path: ${SETTABLE}`,
        },
      },
    },
    run: async (a, { services, client }) => {
      const set = a.options.get('set');
      if (typeof set !== 'string') throw new UsageError('option -set is required');
      if (services.settings === undefined)
        throw new UsageError('the configuration file of this process is not known');
      const changes = await services.settings.change(set, client);
      return {
        output: {
          kind: 'table',
          headers: ['path', 'before', 'after', 'effect'],
          rows: changes.map((c) => [
            c.path,
            String(c.before),
            String(c.after),
            c.effect === 'now' ? 'now' : 'next start',
          ]),
        },
      };
    },
  },
};
