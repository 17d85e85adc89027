// The broker's listeners: MQTT over TCP, MQTT over WebSocket (browsers:
// signage), MQTT over TLS. Each hands its connections to Aedes.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

export type ConnectionHandler = (stream: Duplex, request?: IncomingMessage) => unknown;

export interface Listener {
  readonly kind: 'mqtt' | 'ws' | 'mqtts';
  readonly port: number;
  /** Stops accepting and destroys open connections. */
  close(): Promise<void>;
}

/** Largest WebSocket frame accepted: far above any MQTT packet of the platform. */
const WS_MAX_FRAME = 256 * 1024;

/**
 * Connections the kernel queues for accepting (capped by net.core.somaxconn). Node's default,
 * 511, is less than a fleet reconnecting at once: the rest of the SYNs are dropped, and their
 * clients try again only after TCP's 1, 3, 7 s retransmission waits.
 */
export const LISTEN_BACKLOG = 8192;

function listen(server: NetServer | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Open sockets of a server, for closing; Nagle off on each (small MQTT packets must not wait for ACKs). */
function tracked(server: NetServer | HttpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

function closer(server: NetServer | HttpServer, sockets: Set<Socket>, extra?: () => void): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      extra?.();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
}

export async function listenMqtt(handle: ConnectionHandler, host: string, port: number): Promise<Listener> {
  const server = createNetServer((socket) => handle(socket));
  const sockets = tracked(server);
  const bound = await listen(server, host, port);
  return { kind: 'mqtt', port: bound, close: closer(server, sockets) };
}

export async function listenMqtts(handle: ConnectionHandler, host: string, port: number, tls: { cert: string | Buffer; key: string | Buffer }): Promise<Listener> {
  const server = createTlsServer({ cert: tls.cert, key: tls.key }, (socket) => handle(socket));
  // A client that fails the handshake is its own problem, not the broker's.
  server.on('tlsClientError', () => {});
  const sockets = tracked(server);
  const bound = await listen(server, host, port);
  return { kind: 'mqtts', port: bound, close: closer(server, sockets) };
}

/** MQTT over WebSocket on any path (`/mqtt` by convention), subprotocol `mqtt`. */
export async function listenWebSocket(handle: ConnectionHandler, host: string, port: number): Promise<Listener> {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket: connect with a WebSocket client (subprotocol mqtt)\n');
  });
  const sockets = tracked(http);
  const wss = new WebSocketServer({ server: http, maxPayload: WS_MAX_FRAME });
  wss.on('connection', (ws, request) => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    handle(stream, request);
  });
  wss.on('error', () => {});
  const bound = await listen(http, host, port);
  return {
    kind: 'ws',
    port: bound,
    close: closer(http, sockets, () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }),
  };
}
