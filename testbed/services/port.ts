import net from 'node:net';

/** Ports this process handed out lately, and when: the kernel may offer a just-closed port again. */
const handedOut = new Map<number, number>();
const REMEMBER_MS = 10 * 60_000;

/**
 * A TCP port that was free on `host` a moment ago (listen on port 0, read it, close), and that this
 * process has not handed out in the last ten minutes: two calls in a row never return the same port
 * for two servers that have yet to bind (the kernel may pick a port it just released).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const now = Date.now();
  for (const [port, at] of handedOut) if (now - at > REMEMBER_MS) handedOut.delete(port);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = await listenAndClose(host);
    if (handedOut.has(port)) continue;
    handedOut.set(port, now);
    return port;
  }
  throw new Error(`freePort: no port on ${host} that was not handed out already, after 50 tries`);
}

function listenAndClose(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Whether a TCP connection to host:port is accepted within `timeoutMs`.
 * Resolves false on refusal, reset or timeout; never rejects.
 */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
