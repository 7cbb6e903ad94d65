/**
 * The business server's reverse-proxy mode: a listener in front of an application that lets a
 * request through only when the business server allows it, and tells the application who the
 * user is.
 *
 * For every request the original URL (public origin + request target) and the credential
 * cookie go to the {@link Verifier}:
 * - `allow`: the request is forwarded to the upstream, bodies streamed both ways with
 *   backpressure (nothing is buffered), over keep-alive connections. Hop-by-hop headers
 *   (RFC 9110 §7.6.1: `Connection` and the headers it names, `Keep-Alive`, `TE`, `Trailer`,
 *   `Transfer-Encoding`, `Upgrade` but for a WebSocket, `Proxy-*`) are dropped; every
 *   client-sent `X-Sekisho-*` header is dropped and `X-Sekisho-User`, `X-Sekisho-DN`,
 *   `X-Sekisho-Roles` are set (an identity holding a control character is refused with 403);
 *   `X-Forwarded-For`, `-Proto` and `-Host` are set; the credential cookie itself is not
 *   forwarded (the application gets the identity, not a token it could replay).
 * - `signon`: 302 to the sign-on page with `return=<original URL>`.
 * - `deny`, `unprotected`: 403 and a small page (only protected resources are served here,
 *   unless `passUnprotectedPaths` lets unprotected paths through, without identity headers).
 *
 * WebSocket upgrades are verified the same way, then forwarded, and once the upstream answers
 * 101 the two sockets are joined. An upstream that cannot be reached answers 502; a verifier
 * that fails answers 503; a client that goes away cancels the upstream request.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { CREDENTIAL_COOKIE } from './sso-app.ts';
import {
  checkPublicOrigin,
  credentialOf,
  identityHeaders,
  originalUrl,
  refusalPage,
  REFUSAL_HEADERS,
  REFUSALS,
  requestIdOf,
  SEKISHO_HEADER_PREFIX,
  signOnLocation,
  type Decision,
  type GuardOptions,
  type Refusal,
  type SekishoIdentity,
  type Verifier,
} from './business-guard.ts';

export interface ReverseProxyOptions extends GuardOptions {
  readonly verifier: Verifier;
  /**
   * The application: `http://host:port[/base]` or `https://…`. A base path is put in front of
   * every request path.
   */
  readonly upstream: string;
  /** PEM CA bundle that issued an `https:` upstream's certificate (default: Node's CAs). */
  readonly upstreamCa?: string;
  /**
   * Addresses of proxies in front of this one (a load balancer): from these peers the
   * incoming `X-Forwarded-For` is believed and extended, and the client address is its last
   * entry that is not one of them. From anyone else it is replaced. Default: none.
   */
  readonly trustForwardedFrom?: readonly string[];
  /** Most connections to the upstream at once (default 256). */
  readonly maxSockets?: number;
  /**
   * Told about a failure the client only sees as 502 or 503: the verifier failed (`verify`),
   * or the upstream could not be reached or broke off (`upstream`). Not told about clients
   * that go away.
   */
  readonly onError?: (error: unknown, where: 'verify' | 'upstream') => void;
}

export interface ReverseProxy {
  /** The `request` listener of an `http.Server` or `https.Server`. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse) => void;
  /** The `upgrade` listener: WebSocket upgrades (see {@link isWebSocketUpgrade}). */
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Closes the idle keep-alive connections to the upstream. */
  readonly close: () => void;
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, RFC 9112 §9.6), plus those this proxy sets itself
 * (`Host`, the forwarding headers): never copied from one side to the other.
 */
const DROPPED_REQUEST = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
]);
const DROPPED_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Whether a request asks for a WebSocket (the `shouldUpgradeCallback` of the listener). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return (
    req.method === 'GET' &&
    (req.headers.upgrade ?? '').trim().toLowerCase() === 'websocket' &&
    tokensOf(req.headers.connection).has('upgrade')
  );
}

function tokensOf(value: string | readonly string[] | undefined): Set<string> {
  const text = typeof value === 'string' ? value : (value ?? []).join(',');
  return new Set(
    text
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t !== ''),
  );
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, for comparing addresses. */
function plainIp(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address.toLowerCase();
}

/** The credential cookie removed from a `Cookie` header value; undefined when nothing is left. */
function withoutCredential(value: string): string | undefined {
  const kept = value
    .split(';')
    .map((p) => p.trim())
    .filter(
      (p) => p !== '' && p.slice(0, Math.max(0, p.indexOf('='))).trim() !== CREDENTIAL_COOKIE,
    );
  return kept.length === 0 ? undefined : kept.join('; ');
}

/** The raw headers of a response, hop-by-hop ones dropped. */
function responseHeaders(raw: readonly string[]): string[] {
  const listed = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of tokensOf(raw[i + 1])) listed.add(t);
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (DROPPED_RESPONSE.has(name) || listed.has(name) || name.startsWith('proxy-')) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  302: 'Found',
  400: 'Bad Request',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** A refusal written on a raw socket (an upgrade request has no ServerResponse). */
function rawRefusal(socket: Duplex, refusal: Refusal): void {
  const body = refusalPage(refusal);
  const status = REFUSALS[refusal].status;
  rawAnswer(
    socket,
    status,
    [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Length', String(Buffer.byteLength(body))],
    ],
    body,
  );
}

function rawAnswer(socket: Duplex, status: number, headers: [string, string][], body = ''): void {
  const lines = [`HTTP/1.1 ${String(status)} ${STATUS_TEXT[status] ?? ''}`];
  for (const [k, v] of [...headers, ...Object.entries(REFUSAL_HEADERS), ['Connection', 'close']])
    lines.push(`${k}: ${v}`);
  if (!socket.destroyed) socket.end(lines.join('\r\n') + '\r\n\r\n' + body);
}

export function createReverseProxy(o: ReverseProxyOptions): ReverseProxy {
  const publicOrigin = checkPublicOrigin(o.publicOrigin);
  const publicUrl = new URL(publicOrigin);
  const up = new URL(o.upstream);
  if (
    (up.protocol !== 'http:' && up.protocol !== 'https:') ||
    up.search !== '' ||
    up.hash !== '' ||
    up.username !== ''
  )
    throw new TypeError(
      `upstream must be http(s)://host[:port][/base], got ${JSON.stringify(o.upstream)}`,
    );
  const secure = up.protocol === 'https:';
  const basePath = up.pathname.replace(/\/+$/, '');
  const upHost = up.host;
  const trusted = new Set((o.trustForwardedFrom ?? []).map((a) => plainIp(a)!));
  const tlsOptions = secure && o.upstreamCa !== undefined ? { ca: o.upstreamCa } : {};
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256, ...tlsOptions })
    : new http.Agent({ keepAlive: true, maxSockets: o.maxSockets ?? 256 });
  const send = secure ? https.request : http.request;

  /** The client address and the `X-Forwarded-For` chain to send. */
  const forwarding = (req: IncomingMessage): { client: string | undefined; chain: string } => {
    const peer = plainIp(req.socket.remoteAddress);
    if (peer === undefined) return { client: undefined, chain: 'unknown' };
    if (!trusted.has(peer)) return { client: peer, chain: peer };
    const incoming = (
      typeof req.headers['x-forwarded-for'] === 'string' ? req.headers['x-forwarded-for'] : ''
    )
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    if (incoming.some((a) => isIP(a) === 0)) return { client: peer, chain: peer };
    const chain = [...incoming, peer];
    const client = [...chain].reverse().find((a) => !trusted.has(plainIp(a)!)) ?? chain[0]!;
    return { client: plainIp(client), chain: chain.join(', ') };
  };

  /** The raw headers to send upstream, or undefined when the identity cannot be sent. */
  const upstreamHeaders = (
    req: IncomingMessage,
    identity: SekishoIdentity | null,
    chain: string,
    requestId: string,
    websocket: boolean,
  ): string[] | undefined => {
    const sekisho = identity === null ? [] : identityHeaders(identity);
    if (sekisho === undefined) return undefined;
    const raw = req.rawHeaders;
    const listed = tokensOf(req.headers.connection);
    const out: string[] = ['Host', upHost];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (
        DROPPED_REQUEST.has(name) ||
        listed.has(name) ||
        name.startsWith('proxy-') ||
        // `X_Sekisho_User` reaches CGI-style applications as HTTP_X_SEKISHO_USER too.
        name.replaceAll('_', '-').startsWith(SEKISHO_HEADER_PREFIX)
      )
        continue;
      if (name === 'cookie') {
        const v = withoutCredential(raw[i + 1]!);
        if (v !== undefined) out.push(raw[i]!, v);
        continue;
      }
      out.push(raw[i]!, raw[i + 1]!);
    }
    if (websocket) out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
    for (const [k, v] of sekisho) out.push(k, v);
    out.push(
      'X-Forwarded-For',
      chain,
      'X-Forwarded-Proto',
      publicUrl.protocol.slice(0, -1),
      'X-Forwarded-Host',
      publicUrl.host,
      'X-Request-Id',
      requestId,
    );
    return out;
  };

  /** Asks the verifier; a refusal (or undefined after a failed verification) otherwise. */
  const decide = async (
    req: IncomingMessage,
  ): Promise<
    | {
        kind: 'forward';
        identity: SekishoIdentity | null;
        chain: string;
        requestId: string;
      }
    | { kind: 'redirect'; location: string }
    | { kind: 'refuse'; refusal: Refusal }
  > => {
    const url = originalUrl(publicOrigin, req.url);
    if (url === undefined) return { kind: 'refuse', refusal: 'badRequest' };
    const { client, chain } = forwarding(req);
    const requestId = requestIdOf(req.headers);
    let decision: Decision;
    try {
      decision = await o.verifier.verify({
        token: credentialOf(req.headers),
        url,
        client,
        requestId,
      });
    } catch (e) {
      o.onError?.(e, 'verify');
      return { kind: 'refuse', refusal: 'unavailable' };
    }
    switch (decision.kind) {
      case 'allow':
        return { kind: 'forward', identity: decision, chain, requestId };
      case 'signon':
        return { kind: 'redirect', location: signOnLocation(o.signOnUrl, url) };
      case 'deny':
        return { kind: 'refuse', refusal: 'forbidden' };
      case 'unprotected':
        // Only protected resources are served here, unless the operator chose otherwise.
        return o.passUnprotectedPaths === true && decision.reason === 'path'
          ? { kind: 'forward', identity: null, chain, requestId }
          : { kind: 'refuse', refusal: 'forbidden' };
      default: {
        const never: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(never)}`);
      }
    }
  };

  const refuse = (res: ServerResponse, refusal: Refusal): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = refusalPage(refusal);
    res.writeHead(REFUSALS[refusal].status, {
      ...REFUSAL_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const forward = (req: IncomingMessage, res: ServerResponse, headers: string[]): void => {
    const upReq = send({
      protocol: up.protocol,
      hostname: up.hostname,
      port: up.port,
      method: req.method,
      path: basePath + req.url!,
      headers,
      agent,
    });
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        upReq.destroy();
      }
    });
    req.on('close', () => {
      if (!req.complete) {
        clientGone = true;
        upReq.destroy();
      }
    });
    upReq.on('error', (e) => {
      if (clientGone) return;
      o.onError?.(e, 'upstream');
      refuse(res, 'badGateway');
    });
    upReq.on('response', (upRes) => {
      res.writeHead(
        upRes.statusCode ?? 502,
        upRes.statusMessage,
        responseHeaders(upRes.rawHeaders),
      );
      pipeline(upRes, res, (e) => {
        if (e && !clientGone) o.onError?.(e, 'upstream');
      });
    });
    // Not pipeline(): on an upstream failure it would destroy `req`, and with it the socket
    // the 502 must go out on. pipe() stops on the destination's error and keeps the source.
    req.pipe(upReq);
  };

  const handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void decide(req).then((d) => {
      if (res.destroyed) return;
      if (d.kind === 'refuse') {
        refuse(res, d.refusal);
        return;
      }
      if (d.kind === 'redirect') {
        res.writeHead(302, { ...REFUSAL_HEADERS, location: d.location, 'content-length': 0 });
        res.end();
        return;
      }
      const headers = upstreamHeaders(req, d.identity, d.chain, d.requestId, false);
      if (headers === undefined) {
        refuse(res, 'forbidden');
        return;
      }
      forward(req, res, headers);
    });
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {
      socket.destroy();
    });
    if (!isWebSocketUpgrade(req)) {
      rawRefusal(socket, 'badRequest');
      return;
    }
    void decide(req).then((d) => {
      if (socket.destroyed) return;
      if (d.kind === 'refuse') {
        rawRefusal(socket, d.refusal);
        return;
      }
      if (d.kind === 'redirect') {
        rawAnswer(socket, 302, [
          ['Location', d.location],
          ['Content-Length', '0'],
        ]);
        return;
      }
      const headers = upstreamHeaders(req, d.identity, d.chain, d.requestId, true);
      if (headers === undefined) {
        rawRefusal(socket, 'forbidden');
        return;
      }
      // A connection of its own: once upgraded it never goes back to a pool.
      const upReq = send({
        protocol: up.protocol,
        hostname: up.hostname,
        port: up.port,
        method: 'GET',
        path: basePath + req.url!,
        headers,
        agent: false,
        ...tlsOptions,
      });
      socket.once('close', () => upReq.destroy());
      upReq.on('error', (e) => {
        if (socket.destroyed) return;
        o.onError?.(e, 'upstream');
        rawRefusal(socket, 'badGateway');
      });
      upReq.on('response', (upRes) => {
        // The upstream declined the upgrade: pass its answer on, then close.
        const lines = [`HTTP/1.1 ${String(upRes.statusCode)} ${upRes.statusMessage ?? ''}`];
        const rh = responseHeaders(upRes.rawHeaders);
        for (let i = 0; i + 1 < rh.length; i += 2)
          if (rh[i]!.toLowerCase() !== 'content-length') lines.push(`${rh[i]!}: ${rh[i + 1]!}`);
        lines.push('Connection: close');
        socket.write(lines.join('\r\n') + '\r\n\r\n');
        upRes.pipe(socket);
      });
      upReq.on('upgrade', (upRes, upSocket, upHead) => {
        const lines = [`HTTP/1.1 101 ${upRes.statusMessage ?? 'Switching Protocols'}`];
        const raw = upRes.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) lines.push(`${raw[i]!}: ${raw[i + 1]!}`);
        socket.write(lines.join('\r\n') + '\r\n\r\n');
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        upSocket.on('error', () => {
          socket.destroy();
        });
        socket.on('error', () => {
          upSocket.destroy();
        });
        socket.on('close', () => upSocket.destroy());
        upSocket.on('close', () => socket.destroy());
        socket.pipe(upSocket).pipe(socket);
      });
      upReq.end();
    });
  };

  return {
    handleRequest,
    handleUpgrade,
    close: () => {
      agent.destroy();
    },
  };
}

export interface ProxyListenOptions {
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** PEM certificate chain and key: HTTPS; absent: plain HTTP (behind a TLS terminator). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface ListeningProxy {
  readonly server: http.Server | https.Server;
  /** `http(s)://host:port` as bound. */
  readonly url: string;
  /** Stops accepting, closes every connection (client and upstream) and resolves. */
  close(): Promise<void>;
}

/** Serves a reverse proxy on a new HTTP or HTTPS listener. */
export async function listenReverseProxy(
  proxy: ReverseProxy,
  o: ProxyListenOptions,
): Promise<ListeningProxy> {
  const opts = { shouldUpgradeCallback: isWebSocketUpgrade };
  const server =
    o.tls === undefined
      ? http.createServer(opts, proxy.handleRequest)
      : https.createServer({ ...opts, cert: o.tls.cert, key: o.tls.key }, proxy.handleRequest);
  server.on('upgrade', proxy.handleUpgrade);
  // Upgraded sockets are no longer the server's: track them so close() ends them too.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  server.listen({ host: o.host, port: o.port });
  await once(server, 'listening');
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('the proxy is not on TCP');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `${o.tls === undefined ? 'http' : 'https'}://${host}:${String(addr.port)}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeAllConnections();
      for (const s of upgraded) s.destroy();
      proxy.close();
      await closed;
    },
  };
}
