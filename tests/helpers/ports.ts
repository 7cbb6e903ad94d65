// Ephemeral ports for test servers, and a connection-free "is it listening?" probe.
import fs from 'node:fs';
import net from 'node:net';

/**
 * A port that was free on `host` a moment ago: listen on port 0, read the port the kernel
 * picked, close. Another process may still grab it before you bind, so callers that spawn
 * a server should be ready to retry with a new port.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr && typeof addr === 'object') resolve(addr.port);
        else reject(new Error(`freePort: no port from ${JSON.stringify(addr)}`));
      });
    });
  });
}

const TCP_LISTEN = '0A';

/**
 * Socket inodes of TCP sockets in LISTEN state on `port` (any local address, IPv4 and
 * IPv6), read from /proc/net/tcp{,6}. Opens no connection, so it leaves no handshake
 * noise in a TLS server's log. Linux only.
 */
export function listeningInodes(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue; // e.g. no IPv6 in this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      const local = f[1];
      if (local === undefined || f[3] !== TCP_LISTEN) continue;
      if (local.slice(local.lastIndexOf(':') + 1) !== hexPort) continue;
      if (f[9] !== undefined) inodes.push(f[9]);
    }
  }
  return inodes;
}

/** True when some socket is in LISTEN state on `port` (see listeningInodes). */
export function isPortListening(port: number): boolean {
  return listeningInodes(port).length > 0;
}
