// The bridge's link stream: what the primary sent before a graceful stop is
// read to the end, however slowly the MQTT client reads it.
import { Duplex, Writable } from 'node:stream';
import { expect } from 'chai';
import { BridgeStream } from '../../broker/bridge/link.ts';

/** A socket stand-in: bytes pushed by the test, writes recorded. */
class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.written.push(chunk);
    callback();
  }
}

describe('bridge link stream', () => {
  it('delivers every byte received before the peer half-closed, even when the reader is slower than the close', async () => {
    const socket = new FakeSocket();
    const stream = new BridgeStream(socket);
    const received: Buffer[] = [];
    const pending: Array<() => void> = [];
    // A reader that takes each chunk only when the test lets it (MQTT.js reads one packet at a time).
    stream.pipe(new Writable({ highWaterMark: 1, write: (chunk: Buffer, _e, done) => { received.push(chunk); pending.push(done); } }));
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`packet-${i};`));
    for (const chunk of chunks) socket.push(chunk);
    socket.push(null);
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    let streamClosedEarly = false;
    stream.once('close', () => (streamClosedEarly = received.length === 0 || Buffer.concat(received).length < Buffer.concat(chunks).length));
    while (Buffer.concat(received).length < Buffer.concat(chunks).length) {
      await new Promise((resolve) => setImmediate(resolve));
      const done = pending.shift();
      if (!done) {
        if (stream.destroyed) break;
        continue;
      }
      // The reader acknowledges what it read: writing to a gone peer must not fail the stream.
      stream.write(Buffer.from('ack'));
      done();
    }
    for (const done of pending.splice(0)) done();
    expect(Buffer.concat(received).toString()).to.equal(Buffer.concat(chunks).toString());
    await closed;
    expect(streamClosedEarly).to.equal(false);
  });

  it('closes at once when the socket closes without an end (a reset)', async () => {
    const socket = new FakeSocket();
    const stream = new BridgeStream(socket);
    stream.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => stream.once('close', resolve));
    socket.push(Buffer.from('partial'));
    socket.destroy();
    await closed;
    expect(stream.destroyed).to.equal(true);
  });
});
