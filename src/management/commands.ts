/**
 * Every management command, once: its options (IBM Storage syntax) and what it does.
 * The CLI and `POST /rest/v1/COMMAND` both run these.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import {
  eventText,
  eventTimestamp,
  formatEventDetail,
  formatEventList,
  type EventFilter,
} from '../events/index.ts';
import { KeyServerError } from '../keyservers/errors.ts';
import type { ValidationSummary } from '../keyservers/manager.ts';
import {
  describeSystemCertificate,
  ensureSystemCertificate,
  installCertificate,
  makeRequest,
  renewSelfSigned,
} from '../keyservers/system-cert.ts';
import {
  STAGES,
  type KeyServer,
  type KeyServerType,
  type NodeValidation,
} from '../keyservers/types.ts';
import { UsageError, type CommandSpec, type OptionSpec, type ParsedArgs } from '../cli/args.ts';
import type { CommandContext, SharedAccess } from './context.ts';
import type { CommandResult } from './output.ts';
import { USER_COMMANDS } from './user-commands.ts';
import { SSO_COMMANDS } from './sso-commands.ts';
import { LOG_COMMANDS } from './log-commands.ts';
import { SSOUSER_COMMANDS } from './ssouser-commands.ts';
import { ACCESS_COMMANDS } from './access-commands.ts';
import { ACCESS_EDIT_COMMANDS } from './access-edit-commands.ts';
import { SETTINGS_COMMANDS } from './settings-commands.ts';
import { LIST_OPTIONS, has, str } from './options.ts';

export interface ManagementCommand {
  readonly summary: string;
  /**
   * The key-server state and event log this command reads or changes: on a cluster it runs
   * after catching up with the other nodes (`read`), or as one change under the cluster's
   * write lock (`write`; src/main/shared-keyservers.ts). Absent: it touches neither.
   * `mkkeyserver`, `chkeyserver` and `testkeyserver` are `read`: the manager takes the lock
   * for each of their changes itself, and not across the network validation between them.
   */
  readonly shared?: SharedAccess;
  readonly spec: CommandSpec;
  /** Largest REST body, bytes (default the API's 1 MiB): for commands that carry files. */
  readonly maxBodyBytes?: number;
  /** Mode of the option named `file`, when it depends on the other options. */
  readonly fileMode?: (args: ParsedArgs) => 'read' | 'write' | undefined;
  run(args: ParsedArgs, ctx: CommandContext): Promise<CommandResult>;
}

function delimOf(a: ParsedArgs): string | undefined {
  const d = str(a, 'delim');
  if (d !== undefined && (d.length !== 1 || /[\s\p{Cc}]/u.test(d))) {
    throw new UsageError('-delim takes one printable, non-space character');
  }
  return d;
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** A cluster node not heard for this long is offline (3 heartbeats; src/main/shared-keyservers.ts). */
const NODE_OFFLINE_AFTER_MS = 30_000;

function certSummary(pem: string | undefined): string {
  if (!pem) return '';
  try {
    const c = new X509Certificate(pem);
    return `${c.subject.replace(/\n/g, ', ')}; valid ${new Date(c.validFrom).toISOString()} to ${new Date(c.validTo).toISOString()}`;
  } catch {
    return 'unreadable';
  }
}

function keyServerRow(k: KeyServer): (string | number)[] {
  return [
    k.id,
    k.name,
    k.status,
    k.ip,
    k.port,
    k.type,
    yesNo(k.primary),
    yesNo(k.certPem !== undefined),
  ];
}

const KEYSERVER_HEADERS = [
  'id',
  'name',
  'status',
  'IP_address',
  'port',
  'type',
  'primary',
  'cert_set',
];

/** One line per node and stage of a validation. */
function stageRows(results: readonly NodeValidation[]): (string | number)[][] {
  const rows: (string | number)[][] = [];
  for (const r of results) {
    const ran = new Map(r.stages.map((s) => [s.stage, s]));
    for (const stage of STAGES) {
      const s = ran.get(stage);
      rows.push([
        r.nodeId,
        stage,
        s ? (s.ok ? 'ok' : 'failed') : 'not_run',
        s ? s.durationMs.toFixed(1) : '',
        s ? [s.detail, ...(s.warnings ?? []).map((w) => `warning: ${w}`)].join('; ') : '',
      ]);
    }
  }
  return rows;
}

/** Messages about a validation that found problems. */
function validationWarnings(s: ValidationSummary): string[] {
  const out: string[] = [];
  for (const r of s.results) {
    if (r.outcome.ok) continue;
    const ev = s.raised.find((e) => e.eventId === (r.outcome.ok ? '' : r.outcome.eventId));
    out.push(
      `Validation of key server ${s.keyServer.id} (${s.keyServer.name}) from node ${r.nodeId} failed: ` +
        `error code 1785, event ${r.outcome.eventId}${ev ? ` (sequence number ${ev.sequenceNumber})` : ''}: ${r.outcome.reason}`,
    );
  }
  return out;
}

function typeOf(name: string): KeyServerType {
  return name === 'isklm' ? 'isklm' : name === 'ciphertrustmanager' ? 'ciphertrustmanager' : 'kmip';
}

function typeCommands(type: KeyServerType): Record<string, ManagementCommand> {
  const extra: Record<string, OptionSpec> =
    type === 'isklm'
      ? {
          devicegroup: {
            kind: 'string',
            arg: 'NAME',
            help: 'ISKLM device group (a letter, then up to 15 letters or digits)',
          },
        }
      : type === 'ciphertrustmanager'
        ? {
            username: {
              kind: 'string',
              arg: 'USER',
              help: 'user name on the key server (letters and digits, at most 64)',
            },
            nousername: { kind: 'boolean', help: 'remove the user name' },
            password: { kind: 'string', arg: 'PASSWORD', help: 'password on the key server' },
            nopassword: { kind: 'boolean', help: 'remove the password' },
          }
        : {};
  const ch: ManagementCommand = {
    summary: `configure the ${type} key-server type`,
    shared: 'write',
    spec: {
      options: {
        ...extra,
        sslcert: {
          kind: 'string',
          arg: 'FILE',
          help: 'CA certificate (PEM) that signs the key servers\u2019 certificates',
          file: 'read',
        },
        nosslcert: { kind: 'boolean', help: 'remove the CA certificate' },
        enable: { kind: 'boolean', help: `enable the ${type} type (one type at a time)` },
        disable: { kind: 'boolean', help: `disable the ${type} type` },
      },
    },
    run: (a, { services }) => {
      if (a.options.size === 0) throw new UsageError('give at least one parameter');
      services.manager.changeType(type, {
        deviceGroup: str(a, 'devicegroup'),
        sslcert: str(a, 'sslcert'),
        nosslcert: has(a, 'nosslcert'),
        username: str(a, 'username'),
        nousername: has(a, 'nousername'),
        password: str(a, 'password'),
        nopassword: has(a, 'nopassword'),
        enable: has(a, 'enable'),
        disable: has(a, 'disable'),
      });
      return Promise.resolve({ output: { kind: 'none' } });
    },
  };
  const ls: ManagementCommand = {
    summary: `show the ${type} key-server type`,
    shared: 'read',
    spec: { options: { delim: LIST_OPTIONS.delim } },
    run: (a, { services }) => {
      const c = services.manager.typeConfig(type);
      const pairs: [string, string][] = [['status', services.manager.typeStatus(type)]];
      if (type === 'isklm') pairs.push(['device_group', c.deviceGroup ?? '']);
      if (type === 'ciphertrustmanager') {
        pairs.push(
          ['username_set', yesNo(c.username !== undefined)],
          ['password_set', yesNo(c.password !== undefined)],
        );
      }
      pairs.push(['certificate', certSummary(c.caCertPem)]);
      delimOf(a);
      return Promise.resolve({ output: { kind: 'detail', pairs } });
    },
  };
  return { [`chkeyserver${type}`]: ch, [`lskeyserver${type}`]: ls };
}

const keyServerTarget = { names: ['ID|NAME'], min: 1, max: 1 } as const;

export const MANAGEMENT_COMMANDS: Readonly<Record<string, ManagementCommand>> = {
  ...typeCommands(typeOf('isklm')),
  ...typeCommands(typeOf('ciphertrustmanager')),
  ...typeCommands(typeOf('kmip')),
  ...USER_COMMANDS,
  ...SSO_COMMANDS,
  ...LOG_COMMANDS,
  ...SSOUSER_COMMANDS,
  ...ACCESS_COMMANDS,
  ...ACCESS_EDIT_COMMANDS,
  ...SETTINGS_COMMANDS,

  mkkeyserver: {
    summary: 'define a key server and validate it from every node',
    shared: 'read',
    spec: {
      options: {
        ip: {
          kind: 'string',
          arg: 'ADDRESS',
          help: 'IPv4 or IPv6 address or DNS name of the key server',
          required: true,
        },
        port: { kind: 'string', arg: 'PORT', help: 'KMIP port (default 5696)' },
        sslcert: {
          kind: 'string',
          arg: 'FILE',
          help: 'the key server\u2019s own certificate (PEM)',
          file: 'read',
        },
        name: { kind: 'string', arg: 'NAME', help: 'object name (default keyserverID)' },
        primary: { kind: 'boolean', help: 'make it the primary key server' },
      },
    },
    run: async (a, { services }) => {
      const s = await services.manager.create({
        ip: str(a, 'ip')!,
        port: str(a, 'port'),
        sslcert: str(a, 'sslcert'),
        name: str(a, 'name'),
        primary: has(a, 'primary'),
      });
      return {
        output: {
          kind: 'message',
          lines: [`Key Server, id [${s.keyServer.id}], successfully created`],
        },
        warnings: validationWarnings(s),
      };
    },
  },

  chkeyserver: {
    summary: 'change a key server and validate it again',
    shared: 'read',
    spec: {
      options: {
        ip: { kind: 'string', arg: 'ADDRESS', help: 'new address' },
        port: { kind: 'string', arg: 'PORT', help: 'new port' },
        sslcert: {
          kind: 'string',
          arg: 'FILE',
          help: 'new certificate of the key server (PEM)',
          file: 'read',
        },
        nosslcert: { kind: 'boolean', help: 'remove the key server\u2019s certificate' },
        name: { kind: 'string', arg: 'NAME', help: 'new name' },
        primary: {
          kind: 'boolean',
          help: 'make it the primary (the previous primary stops being one)',
        },
      },
      positionals: keyServerTarget,
    },
    run: async (a, { services }) => {
      const s = await services.manager.change(a.positionals[0]!, {
        ip: str(a, 'ip'),
        port: str(a, 'port'),
        sslcert: str(a, 'sslcert'),
        nosslcert: has(a, 'nosslcert') || undefined,
        name: str(a, 'name'),
        primary: has(a, 'primary') || undefined,
      });
      return { output: { kind: 'none' }, warnings: validationWarnings(s) };
    },
  },

  rmkeyserver: {
    summary: 'remove a key server',
    shared: 'write',
    spec: { options: {}, positionals: keyServerTarget },
    run: (a, { services }) => {
      services.manager.remove(a.positionals[0]!);
      return Promise.resolve({ output: { kind: 'none' } });
    },
  },

  lskeyserver: {
    summary: 'list key servers, or show one in detail',
    shared: 'read',
    spec: { options: LIST_OPTIONS, positionals: { names: ['[ID|NAME]'], min: 0, max: 1 } },
    run: (a, { services }) => {
      delimOf(a);
      const target = a.positionals[0];
      if (target === undefined) {
        return Promise.resolve({
          output: {
            kind: 'table',
            headers: KEYSERVER_HEADERS,
            rows: services.manager.list().map(keyServerRow),
          },
        });
      }
      const k = services.manager.find(target);
      const row = keyServerRow(k);
      const pairs: [string, string | number | undefined][] = KEYSERVER_HEADERS.map((h, i) => [
        h,
        row[i],
      ]);
      pairs.push(
        ['err_seq_num', k.errSeqNum],
        ['certificate', k.certPem ? certSummary(k.certPem) : '0 fields'],
      );
      // The latest of the nodes' validations (on a cluster each node validates on its own).
      const last = Math.max(...k.lastValidation.map((r) => new Date(r.startedAt).getTime()));
      pairs.push(['last_validation', k.lastValidation.length ? new Date(last).toISOString() : '']);
      for (const [node, stage, result, ms, detail] of stageRows(k.lastValidation)) {
        pairs.push([
          `validation_node${String(node)}_${String(stage)}`,
          `${String(result)} ${String(ms)} ${String(detail)}`.trim(),
        ]);
      }
      return Promise.resolve({ output: { kind: 'detail', pairs } });
    },
  },

  testkeyserver: {
    summary: 'validate a key server from every node now',
    shared: 'read',
    spec: { options: LIST_OPTIONS, positionals: keyServerTarget },
    run: async (a, { services }) => {
      delimOf(a);
      const s = await services.manager.test(a.positionals[0]!);
      const ok = s.results.every((r) => r.outcome.ok);
      return {
        output: {
          kind: 'table',
          headers: ['node_id', 'stage', 'result', 'duration_ms', 'detail'],
          rows: stageRows(s.results),
        },
        messages: ok ? ['The key server task completed successfully.'] : [],
        warnings: validationWarnings(s),
        failed: !ok,
      };
    },
  },

  lseventlog: {
    summary: 'list the event log, or show one event in detail',
    shared: 'read',
    spec: {
      options: {
        ...LIST_OPTIONS,
        alert: { kind: 'string', arg: 'yes|no', help: 'only (yes) or no (no) alerts' },
        message: { kind: 'string', arg: 'yes|no', help: 'only or no messages' },
        monitoring: { kind: 'string', arg: 'yes|no', help: 'only or no monitoring events' },
        fixed: { kind: 'string', arg: 'yes|no', help: 'only fixed (yes) or unfixed (no) events' },
        order: {
          kind: 'string',
          arg: 'date|severity',
          help: 'newest first (date, default) or most severe first',
        },
        count: { kind: 'string', arg: 'N', help: 'at most N events' },
        lang: {
          kind: 'string',
          arg: 'ja|en',
          help: 'language of descriptions (default from LANG)',
        },
      },
      positionals: { names: ['[SEQUENCE_NUMBER]'], min: 0, max: 1 },
    },
    run: (a, ctx) => {
      const { services, lang: envLang } = ctx;
      const delim = delimOf(a);
      const lang = langOption(a) ?? envLang;
      const seqText = a.positionals[0];
      if (seqText !== undefined) {
        if (!/^\d{1,10}$/.test(seqText))
          throw new UsageError(`${JSON.stringify(seqText)} is not a sequence number`);
        const e = services.events.get(Number(seqText));
        if (!e)
          throw new KeyServerError(
            'KEYSERVER_INVALID_PARAMETER',
            `no event has the sequence number ${seqText}`,
          );
        const text = formatEventDetail(e, { delim, lang });
        return Promise.resolve({
          output: { kind: 'text', text },
          // REST clients (and the console) get the fields as an object, the texts whole.
          ...(ctx.rest
            ? { data: eventDetailData(formatEventDetail(e, { lang }), e.eventId, lang) }
            : {}),
        });
      }
      const filter: EventFilter = {
        ...yn(a, 'alert'),
        ...yn(a, 'message'),
        ...yn(a, 'monitoring'),
        ...yn(a, 'fixed'),
        ...orderOf(a),
        ...countOf(a),
      };
      const rows = services.events.listSummaries(filter);
      const text = formatEventList(rows, {
        delim,
        nohdr: has(a, 'nohdr'),
        lang,
      });
      // REST clients get the rows as objects, the CLI the IBM text.
      const data = () =>
        rows.map((e) => ({
          sequence_number: e.sequenceNumber,
          last_timestamp: eventTimestamp(e.lastTimestamp),
          object_type: e.objectType,
          object_id: e.objectId,
          object_name: e.objectName,
          copy_id: e.copyId,
          status: e.status,
          fixed: e.fixed ? 'yes' : 'no',
          event_id: e.eventId,
          error_code: e.errorCode,
          description: eventText(e.eventId, lang).description,
        }));
      return Promise.resolve({
        output: { kind: 'text', text },
        ...(ctx.rest ? { data: data() } : {}),
      });
    },
  },

  cheventlog: {
    summary: 'mark an event fixed',
    shared: 'write',
    spec: {
      options: {
        fix: {
          kind: 'string',
          arg: 'SEQUENCE_NUMBER',
          help: 'the event to mark fixed',
          required: true,
        },
      },
    },
    run: (a, { services }) => {
      const seq = str(a, 'fix')!;
      if (!/^\d{1,10}$/.test(seq))
        throw new UsageError(`-fix ${JSON.stringify(seq)} is not a sequence number`);
      services.events.fix(Number(seq));
      services.manager.refreshErrSeqNums();
      return Promise.resolve({ output: { kind: 'none' } });
    },
  },

  lssystemcert: {
    summary: 'show the system certificate (the TLS client identity towards key servers)',
    shared: 'read',
    spec: { options: { delim: LIST_OPTIONS.delim } },
    run: async (a, { services }) => {
      delimOf(a);
      const c = await ensureSystemCertificate(services.manager.store);
      const d = describeSystemCertificate(c);
      return {
        output: {
          kind: 'detail',
          pairs: [
            ['subject', d.subject],
            ['issuer', d.issuer],
            ['serial_number', d.serial],
            ['not_before', d.notBefore],
            ['not_after', d.notAfter],
            ['fingerprint_sha256', d.fingerprint256],
            ['type', d.selfSigned ? 'self_signed' : 'externally_signed'],
            ['certificate_request_outstanding', yesNo(d.requestOutstanding)],
          ],
        },
      };
    },
  },

  chsystemcert: {
    summary: 'renew, request, install or export the system certificate',
    shared: 'write',
    spec: {
      options: {
        mkselfsigned: { kind: 'boolean', help: 'make a new self-signed certificate and key' },
        mkrequest: { kind: 'boolean', help: 'make a certificate request (CSR) with a new key' },
        install: {
          kind: 'boolean',
          help: 'install the certificate in -file (signed for the request)',
        },
        export: {
          kind: 'boolean',
          help: 'write the certificate (PEM) to -file or standard output',
        },
        file: { kind: 'string', arg: 'FILE', help: 'certificate to install, or where to write' },
        commonname: { kind: 'string', arg: 'CN', help: 'common name (default sekisho-cluster)' },
      },
    },
    fileMode: (a) =>
      has(a, 'install') ? 'read' : str(a, 'file') !== undefined ? 'write' : undefined,
    run: async (a, { services }) => {
      const actions = (['mkselfsigned', 'mkrequest', 'install', 'export'] as const).filter((x) =>
        has(a, x),
      );
      if (actions.length !== 1)
        throw new UsageError('give exactly one of -mkselfsigned, -mkrequest, -install, -export');
      const cn = str(a, 'commonname');
      if (cn !== undefined && !/^[\p{L}\p{N} ._-]{1,64}$/u.test(cn)) {
        throw new UsageError('-commonname must be 1-64 letters, digits, spaces, ".", "_" or "-"');
      }
      const store = services.manager.store;
      const action = actions[0]!;
      switch (action) {
        case 'mkselfsigned':
          await renewSelfSigned(store, cn);
          return { output: { kind: 'none' } };
        case 'mkrequest': {
          const csr = await makeRequest(store, cn);
          return str(a, 'file') === undefined
            ? { output: { kind: 'text', text: csr } }
            : { output: { kind: 'none' }, file: csr };
        }
        case 'install': {
          const pem = str(a, 'file');
          if (pem === undefined) throw new UsageError('-install needs -file FILE');
          installCertificate(store, pem);
          return { output: { kind: 'none' } };
        }
        case 'export': {
          if (cn !== undefined) throw new UsageError('-commonname does not apply to -export');
          const c = await ensureSystemCertificate(store);
          return str(a, 'file') === undefined
            ? { output: { kind: 'text', text: c.certPem } }
            : { output: { kind: 'none' }, file: c.certPem };
        }
      }
    },
  },

  chencryption: {
    summary:
      'move the key-encryption key to the key servers (enable), back (disable), or renew it (newkey)',
    shared: 'write',
    spec: {
      options: {
        keyserver: {
          kind: 'string',
          arg: 'enable|disable|newkey',
          help: 'what to do',
          required: true,
        },
      },
    },
    run: async (a, { services }) => {
      const what = str(a, 'keyserver')!;
      if (what === 'enable') await services.kek.enable();
      else if (what === 'disable') await services.kek.disable();
      else if (what === 'newkey') await services.kek.newKey();
      else throw new UsageError('-keyserver must be enable, disable or newkey');
      if (what !== 'disable') await services.manager.validateAll();
      return { output: { kind: 'none' } };
    },
  },

  lsencryption: {
    summary: 'show where the key-encryption key lives',
    shared: 'read',
    spec: { options: { delim: LIST_OPTIONS.delim } },
    run: (a, { services }) => {
      delimOf(a);
      const enc = services.manager.store.getEncryption();
      const errs = services.manager
        .list()
        .map((k) => k.errSeqNum)
        .filter((x): x is number => x !== undefined);
      const pairs: [string, string | number | undefined][] = [
        ['keyserver_status', enc.keyServerEnabled ? 'enabled' : 'disabled'],
        ['kek_source', enc.keyServerEnabled ? 'key_servers' : 'local_file'],
        ['kek_generation', enc.generation],
        ['kek_check_value', enc.kcv],
        ['kek_in_memory', yesNo(services.kek.isCached)],
        ['error_sequence_number', errs.length ? Math.min(...errs) : undefined],
        ...[...enc.kekUids].map(([id, uid]): [string, string] => [`kek_uid_keyserver${id}`, uid]),
      ];
      return Promise.resolve({ output: { kind: 'detail', pairs } });
    },
  },

  lsnode: {
    summary: 'list the nodes and their service addresses',
    shared: 'read',
    spec: { options: LIST_OPTIONS },
    run: async (a, { services }) => {
      delimOf(a);
      // Whether each node runs: on a cluster, heard within the last 30 s (a running node says
      // so every 10 s); on one machine, whether this command runs inside `sekisho start`.
      const heard = services.shared === undefined ? undefined : await services.shared.heard();
      const status = (id: string): string =>
        heard === undefined
          ? services.sso === undefined
            ? 'offline'
            : 'online'
          : (heard.get(id) ?? Infinity) < NODE_OFFLINE_AFTER_MS
            ? 'online'
            : 'offline';
      const rows = services.manager.store
        .listNodes()
        .map((n) => [n.id, n.name, n.ipv4 ?? '', n.ipv6 ?? '', status(n.id)]);
      return {
        output: {
          kind: 'table',
          headers: ['id', 'name', 'service_IP_address_4', 'service_IP_address_6', 'status'],
          rows,
        },
      };
    },
  },

  chnodeserviceip: {
    summary:
      'set or remove a node\u2019s service address (connections to key servers leave from it)',
    shared: 'write',
    spec: {
      options: {
        serviceip: {
          kind: 'string',
          arg: 'ADDRESS',
          help: 'IPv4 or IPv6 address; 0.0.0.0 or :: lets the system choose',
        },
        noserviceip4: { kind: 'boolean', help: 'remove the IPv4 service address' },
        noserviceip6: { kind: 'boolean', help: 'remove the IPv6 service address' },
        node: {
          kind: 'string',
          arg: 'ID|NAME',
          help: 'the node (default: the only one; on a cluster, this node)',
        },
      },
    },
    run: (a, { services }) => {
      const store = services.manager.store;
      const nodes = store.listNodes();
      const which = str(a, 'node');
      const here = services.localNodeId;
      const node =
        which === undefined
          ? here !== undefined
            ? nodes.find((n) => n.id === here)
            : nodes.length === 1
              ? nodes[0]
              : undefined
          : nodes.find((n) => n.id === which || n.name === which);
      if (!node)
        throw new KeyServerError(
          'NODE_NOT_FOUND',
          which === undefined ? 'several nodes: give -node' : `no node ${JSON.stringify(which)}`,
        );
      const ip = str(a, 'serviceip');
      const changes = [ip !== undefined, has(a, 'noserviceip4'), has(a, 'noserviceip6')].filter(
        Boolean,
      ).length;
      if (changes !== 1)
        throw new UsageError('give exactly one of -serviceip, -noserviceip4, -noserviceip6');
      let next: typeof node;
      if (ip !== undefined) {
        const family = net.isIP(ip);
        if (family === 0)
          throw new KeyServerError(
            'NODE_INVALID_ADDRESS',
            `${JSON.stringify(ip)} is not an IP address`,
          );
        const value = ip === '0.0.0.0' || ip === '::' ? 'any' : ip;
        next = family === 4 ? { ...node, ipv4: value } : { ...node, ipv6: value };
      } else if (has(a, 'noserviceip4')) next = { ...node, ipv4: undefined };
      else next = { ...node, ipv6: undefined };
      store.putNode(next);
      return Promise.resolve({ output: { kind: 'none' } });
    },
  },

  rmnode: {
    summary: 'forget a node that left the cluster, with its key-server validations',
    shared: 'write',
    spec: { options: {}, positionals: { names: ['ID|NAME'], min: 1, max: 1 } },
    run: async (a, { services }) => {
      const node = await services.manager.removeNode(a.positionals[0]!);
      return { output: { kind: 'message', lines: [`Node ${node.name} removed`] } };
    },
  },

  lssystem: {
    summary: 'show system settings',
    shared: 'read',
    spec: { options: { delim: LIST_OPTIONS.delim } },
    run: (a, { services }) => {
      delimOf(a);
      const s = services.manager.store.getSettings();
      const t = services.manager.enabledType();
      return Promise.resolve({
        output: {
          kind: 'detail',
          pairs: [
            ['keyserver_type', t?.type ?? ''],
            ['keyserver_validation_interval', s.validationIntervalMinutes],
            ['keyserver_validation_timeout', s.validationTimeoutSeconds],
          ],
        },
      });
    },
  },

  chsystem: {
    summary: 'change system settings',
    shared: 'write',
    spec: {
      options: {
        keyservervalidationinterval: {
          kind: 'string',
          arg: 'MINUTES',
          help: 'minutes between periodic key-server validations (0: off; default 15)',
        },
        keyservervalidationtimeout: {
          kind: 'string',
          arg: 'SECONDS',
          help: 'time limit of each network step of a validation (1-300; default 10)',
        },
      },
    },
    run: (a, { services }) => {
      const interval = str(a, 'keyservervalidationinterval');
      const timeout = str(a, 'keyservervalidationtimeout');
      if (interval === undefined && timeout === undefined)
        throw new UsageError('give -keyservervalidationinterval or -keyservervalidationtimeout');
      if (interval !== undefined && (!/^\d{1,5}$/.test(interval) || Number(interval) > 10080)) {
        throw new UsageError('-keyservervalidationinterval must be 0-10080 minutes');
      }
      if (
        timeout !== undefined &&
        (!/^\d{1,3}$/.test(timeout) || Number(timeout) < 1 || Number(timeout) > 300)
      ) {
        throw new UsageError('-keyservervalidationtimeout must be 1-300 seconds');
      }
      const before = services.manager.store.getSettings();
      services.manager.store.putSettings({
        validationIntervalMinutes:
          interval === undefined ? before.validationIntervalMinutes : Number(interval),
        validationTimeoutSeconds:
          timeout === undefined ? before.validationTimeoutSeconds : Number(timeout),
      });
      return Promise.resolve({ output: { kind: 'none' } });
    },
  },
};

/** The detailed view's `name value` lines as an object, with meaning and user action whole. */
function eventDetailData(
  text: string,
  eventId: Parameters<typeof eventText>[0],
  lang: 'ja' | 'en',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('  ')) continue;
    const i = line.indexOf(' ');
    const name = i < 0 ? line : line.slice(0, i);
    if (name === 'meaning' || name === 'user_action') continue;
    out[name] = i < 0 ? '' : line.slice(i + 1);
  }
  const t = eventText(eventId, lang);
  out['meaning'] = t.meaning;
  out['user_action'] = t.userAction;
  out['explanation'] = t.explanation;
  return out;
}

function langOption(a: ParsedArgs): 'ja' | 'en' | undefined {
  const l = str(a, 'lang');
  if (l === undefined) return undefined;
  if (l !== 'ja' && l !== 'en') throw new UsageError('-lang must be ja or en');
  return l;
}

function yn(
  a: ParsedArgs,
  name: 'alert' | 'message' | 'monitoring' | 'fixed',
): Partial<EventFilter> {
  const v = str(a, name);
  if (v === undefined) return {};
  if (v !== 'yes' && v !== 'no') throw new UsageError(`-${name} must be yes or no`);
  return { [name]: v === 'yes' };
}

function orderOf(a: ParsedArgs): Partial<EventFilter> {
  const v = str(a, 'order');
  if (v === undefined) return {};
  if (v !== 'date' && v !== 'severity') throw new UsageError('-order must be date or severity');
  return { order: v };
}

function countOf(a: ParsedArgs): Partial<EventFilter> {
  const v = str(a, 'count');
  if (v === undefined) return {};
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1)
    throw new UsageError('-count must be a whole number from 1');
  return { count: Number(v) };
}
