/** Options of `sekisho start`, apart from its (heavy) implementation so `--help` stays light. */
import type { CommandSpec } from '../cli/args.ts';

export const DEFAULT_LISTEN = '127.0.0.1:8443';
/** The configuration file read from the data directory when `--config` is not given. */
export const CONFIG_FILE = 'sekisho.json';

export const startSpec: CommandSpec = {
  options: {
    'data-dir': {
      kind: 'string',
      arg: 'DIR',
      help: 'data directory (default $SEKISHO_DATA_DIR or ./.data)',
    },
    listen: {
      kind: 'string',
      arg: 'HOST:PORT',
      help: `HTTPS listen address (default: server.listen of the configuration, ${DEFAULT_LISTEN})`,
    },
    config: {
      kind: 'string',
      arg: 'FILE',
      help: `configuration file (default DIR/${CONFIG_FILE} when it exists; see docs/config.md)`,
    },
  },
};

/** Options of `sekisho init`. */
export const initSpec: CommandSpec = {
  options: {
    'data-dir': {
      kind: 'string',
      arg: 'DIR',
      help: 'data directory (default $SEKISHO_DATA_DIR or ./.data)',
    },
    config: {
      kind: 'string',
      arg: 'FILE',
      help: `configuration file (default DIR/${CONFIG_FILE} when it exists)`,
    },
    json: { kind: 'boolean', help: 'print the result as JSON (for sekisho start)' },
  },
};

/** Options of `sekisho business` (the reverse-proxy business server, src/main/business.ts). */
export const businessSpec: CommandSpec = {
  options: {
    upstream: {
      kind: 'string',
      arg: 'URL',
      required: true,
      help: 'the application to protect: http(s)://host:port[/base]',
    },
    listen: {
      kind: 'string',
      arg: 'HOST:PORT',
      required: true,
      help: 'HTTPS listen address of the proxy (port 0: any free port)',
    },
    'public-origin': {
      kind: 'string',
      arg: 'URL',
      required: true,
      help: 'the origin browsers use, e.g. https://app.example.com (a registered site)',
    },
    'data-dir': {
      kind: 'string',
      arg: 'DIR',
      help: 'data directory (default $SEKISHO_DATA_DIR or ./.data)',
    },
    config: {
      kind: 'string',
      arg: 'FILE',
      help: `configuration file (default DIR/${CONFIG_FILE} when it exists)`,
    },
    'sign-on-url': {
      kind: 'string',
      arg: 'URL',
      help: 'the sign-on page (default: /sso/signon of the sekisho start of DIR, else of server.listen)',
    },
    'upstream-ca': {
      kind: 'string',
      arg: 'FILE',
      help: 'PEM CA bundle of an https upstream (default: the system CAs)',
    },
    'trust-forwarded-from': {
      kind: 'string',
      arg: 'ADDR,…',
      help: 'proxies in front whose X-Forwarded-For is believed (default: none)',
    },
  },
};
