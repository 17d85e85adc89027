// MQTT over WebSocket through the platform's own HTTP(S) port: `/mqtt/<name>` is passed
// byte for byte to a broker's WebSocket listener. A page served over HTTPS may only open
// wss:// connections, so with HTTPS the signage pages reach both brokers this way (TLS
// ends at this server); each broker keeps its own path, so failover works as before.
import type { IncomingMessage, Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface WsRoute {
  /** Path on this server, e.g. `/mqtt/primary`. */
  path: string;
  /** The broker's WebSocket listener. */
  host: string;
  port: number;
}

/** Longest wait for a broker to accept the connection, ms. */
const CONNECT_TIMEOUT_MS = 5000;

/** The request as the broker should get it: the same line and headers. */
function requestHead(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Passes WebSocket upgrades for `routes` to their brokers; other upgrades are left to other listeners. Returns a detach function. */
export function proxyWebSockets(server: Server, routes: readonly WsRoute[]): () => void {
  const open = new Set<Socket | Duplex>();
  const onUpgrade = (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    const route = routes.find((r) => r.path === path);
    if (!route) return;
    const upstream = connect({ host: route.host, port: route.port });
    open.add(client).add(upstream);
    const timer = setTimeout(() => upstream.destroy(new Error(`broker ${route.host}:${route.port} did not accept within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
    const close = () => {
      clearTimeout(timer);
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.write(requestHead(req));
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => {
      clearTimeout(timer);
      open.delete(upstream);
      upstream.destroy();
      // The broker is down: say so to the client (which moves to the next broker), then let it close.
      if (client.writable && !upstream.bytesRead) client.end('HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n');
      else close();
    });
    upstream.once('close', close);
    client.once('error', close);
    client.once('close', close);
  };
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('upgrade', onUpgrade);
    for (const s of open) s.destroy();
    open.clear();
  };
}
