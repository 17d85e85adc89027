// A cap on the size of MQTT packets a client may send. The MQTT parser keeps
// a whole packet in memory before handing it over, and a packet may announce
// up to 256 MiB; a connection announcing more than the cap is closed as soon
// as its fixed header arrives. The scanner is pure: it reads only the fixed
// headers and skips the bodies by counting.
import { Duplex } from 'node:stream';
import { coalesceWrites, passOn } from './coalesce.ts';

/** Far above any packet of the platform (payloads are at most 1 KiB). */
export const MAX_PACKET_BYTES = 256 * 1024;

export class PacketSizeScanner {
  /** Body bytes of the current packet still to skip; -1 while reading a header. */
  #skip = -1;
  /** Remaining-length being decoded: value, multiplier, header bytes seen. */
  #length = 0;
  #multiplier = 1;
  #inHeader = false;

  constructor(readonly limit = MAX_PACKET_BYTES) {}

  /** Feeds received bytes; false once a packet announced more than `limit` bytes (or a malformed length). */
  feed(chunk: Buffer): boolean {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        continue;
      }
      const byte = chunk[i++];
      if (!this.#inHeader) {
        // The packet type byte; the remaining length follows.
        this.#inHeader = true;
        this.#length = 0;
        this.#multiplier = 1;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      if (byte & 0x80) {
        this.#multiplier *= 128;
        if (this.#multiplier > 128 ** 3) return false;
        continue;
      }
      if (this.#length + 5 > this.limit) return false;
      this.#inHeader = false;
      this.#skip = this.#length;
    }
    return true;
  }
}

/** The connection, passed through a PacketSizeScanner; `onTooLarge` is called once before it is destroyed. */
export function guardPackets(conn: Duplex, onTooLarge: () => void, limit = MAX_PACKET_BYTES): Duplex {
  const scanner = new PacketSizeScanner(limit);
  coalesceWrites(conn);
  const guarded = new Duplex({
    read() {
      conn.resume();
    },
    // Every write comes here (a single chunk too: Node hands it over as a batch of one). What Aedes
    // writes corked (a packet's pieces, the packets of one tick) reaches the socket as one write; a TCP
    // socket is also coalesced, so what Aedes writes in one event-loop turn does. Passed on at once,
    // waiting only when the socket's buffer is full.
    writev(chunks, callback) {
      conn.cork();
      passOn(
        conn,
        chunks.map((c) => c.chunk as Buffer),
        callback,
      );
      conn.uncork();
    },
    final(callback) {
      conn.end(() => callback());
    },
    destroy(error, callback) {
      conn.destroy();
      callback(error);
    },
  });
  // Kept for the logs (who connected).
  Object.defineProperty(guarded, 'remoteAddress', { get: () => (conn as { remoteAddress?: string }).remoteAddress });
  conn.on('data', (chunk: Buffer) => {
    if (!scanner.feed(chunk)) {
      onTooLarge();
      conn.destroy();
      guarded.destroy();
      return;
    }
    if (!guarded.push(chunk)) conn.pause();
  });
  conn.on('end', () => guarded.push(null));
  conn.on('error', (error) => guarded.destroy(error));
  conn.on('close', () => guarded.destroy());
  return guarded;
}
