// The byte stream of the bridge link to the primary (TCP, TLS, WebSocket),
// with the bridge bit set on its CONNECT. Used as MQTT.js's stream builder.
import { connect as tcpConnect } from 'node:net';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket, createWebSocketStream } from 'ws';
import { coalesceWrites, passOn } from '../coalesce.ts';
import { BridgeBitSetter } from './bridge-bit.ts';

export interface LinkTls {
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
}

const DEFAULT_PORTS: Record<string, number> = { 'mqtt:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 };

function rawStream(url: URL, tls: LinkTls): Duplex {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
  switch (url.protocol) {
    case 'mqtt:':
      return tcpConnect({ host, port, noDelay: true });
    case 'mqtts:':
      return tlsConnect({ host, port, servername: host, ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized ?? true });
    case 'ws:':
    case 'wss:': {
      const target = new URL(url.href);
      target.username = '';
      target.password = '';
      if (target.pathname === '/' || target.pathname === '') target.pathname = '/mqtt';
      const ws = new WebSocket(target.href, 'mqtt', { ca: tls.ca, rejectUnauthorized: tls.rejectUnauthorized ?? true });
      return createWebSocketStream(ws);
    }
    default:
      throw new Error(`unsupported bridge URL scheme ${url.protocol}`);
  }
}

/** Longest wait for the MQTT client to handle the last packets of a half-closed link. */
const READER_DRAIN_MS = 5000;

/**
 * Wraps a stream so the first CONNECT written to it carries the bridge bit.
 * When the primary half-closes the link (a graceful stop), what it sent last
 * is read and handled to the end before this stream closes: the MQTT client
 * reads one packet at a time, so bytes may wait here, or in its parser, after
 * the socket is gone, and it stops handling packets once this stream closes.
 */
export class BridgeStream extends Duplex {
  readonly #inner: Duplex;
  readonly #bit = new BridgeBitSetter();

  constructor(inner: Duplex) {
    super();
    this.#inner = inner;
    let ended = false;
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on('end', () => {
      ended = true;
      this.push(null);
    });
    inner.on('error', (error) => this.destroy(error));
    inner.on('close', () => {
      if (!ended) return this.destroy();
      if (this.readableEnded) return void this.#afterReaders().then(() => this.destroy());
      this.once('end', () => void this.#afterReaders().then(() => this.destroy()));
    });
  }

  /** Where this stream is piped (MQTT.js pipes it into its packet parser). */
  readonly #readers: NodeJS.WritableStream[] = [];

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    this.#readers.push(destination);
    return super.pipe(destination, options);
  }

  /**
   * Resolves once every reader has handled all it was given (its 'finish'), at most
   * READER_DRAIN_MS: the MQTT client stops handling packets once its stream closes.
   */
  #afterReaders(): Promise<void> {
    const pending = this.#readers.filter((r) => !(r as { writableFinished?: boolean }).writableFinished && !(r as { destroyed?: boolean }).destroyed);
    if (!pending.length) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, READER_DRAIN_MS);
      void Promise.all(pending.map((r) => new Promise((done) => (r.once('finish', done), r.once('close', done))))).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  override _read(): void {
    this.#inner.resume();
  }

  // Every write comes here (Node passes a single chunk as a batch of one).
  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    // The peer is gone while its last bytes are still being read: acknowledgements to it have nowhere to go.
    if (this.#inner.destroyed || this.#inner.writableEnded) return callback();
    passOn(
      this.#inner,
      chunks.map((c) => this.#bit.feed(c.chunk)),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#inner.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }
}

/** A new link stream to `url` for each (re)connection. */
export function openLink(url: string, tls: LinkTls = {}): Duplex {
  const raw = rawStream(new URL(url), tls);
  coalesceWrites(raw);
  return new BridgeStream(raw);
}
