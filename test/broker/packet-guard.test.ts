// The connection wrapper every broker connection passes: the packet size cap,
// and corked writes reaching the socket together.
import net from 'node:net';
import { Duplex } from 'node:stream';
import { expect } from 'chai';
import mqttPacket from 'mqtt-packet';
import { guardPackets } from '../../broker/packet-guard.ts';

/** A socket stand-in that records each write it gets, and each batch an uncork flushes. */
class RecordingSocket extends Duplex {
  readonly writes: Buffer[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.writes.push([chunk]);
    callback();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: () => void): void {
    this.writes.push(chunks.map((c) => c.chunk));
    callback();
  }
}

describe('broker connection wrapper', () => {
  it('hands the socket what was written corked as one batch, in order', async () => {
    const socket = new RecordingSocket();
    const guarded = guardPackets(socket, () => undefined);
    // Two packets in one tick, the way Aedes writes them (mqtt-packet corks per packet).
    for (const n of [1, 2]) mqttPacket.writeToStream({ cmd: 'publish', topic: 'parking/lot1/slot/L1/s1', payload: Buffer.from(`state-${n}`), qos: 0, retain: false, dup: false }, guarded);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.writes.length, 'socket writes').to.equal(1);
    const bytes = Buffer.concat(socket.writes[0]);
    const packets: string[] = [];
    const parser = mqttPacket.parser();
    parser.on('packet', (p: mqttPacket.Packet) => packets.push(String((p as mqttPacket.IPublishPacket).payload)));
    parser.parse(bytes);
    expect(packets).to.deep.equal(['state-1', 'state-2']);
  });

  it('coalesces a TCP socket: packets written in separate ticks of one turn leave in one write', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' });
    const [conn] = await Promise.all([new Promise<net.Socket>((resolve) => server.once('connection', resolve)), new Promise((resolve) => client.once('connect', resolve))]);
    try {
      const calls: number[] = [];
      const raw = conn as unknown as { _writev: (chunks: unknown[], cb: unknown) => void; _write: (...a: unknown[]) => void };
      const [writev, write] = [raw._writev.bind(conn), raw._write.bind(conn)];
      raw._writev = (chunks, cb) => (calls.push(chunks.length), writev(chunks, cb));
      raw._write = (...args) => (calls.push(1), write(...args));
      const guarded = guardPackets(conn, () => undefined);
      const received = new Promise<number>((resolve) => {
        let bytes = 0;
        client.on('data', (chunk: Buffer) => (bytes += chunk.length) >= 60 && resolve(bytes));
      });
      // Three packets, each in its own tick (mqtt-packet uncorks on the next tick), as Aedes writes a fan-out.
      const packet = () => mqttPacket.writeToStream({ cmd: 'publish', topic: 'parking/lot1/slot/L1/s1', payload: Buffer.from('free'), qos: 0, retain: false, dup: false }, guarded);
      packet();
      process.nextTick(() => {
        packet();
        process.nextTick(packet);
      });
      await received;
      expect(calls, 'writes handed to the socket').to.have.length(1);
    } finally {
      client.destroy();
      conn.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('closes a connection that announces a packet over the cap', async () => {
    const socket = new RecordingSocket();
    let tooLarge = 0;
    const guarded = guardPackets(socket, () => (tooLarge += 1), 64);
    guarded.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => guarded.once('close', () => resolve()));
    socket.push(mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(200), qos: 0, retain: false, dup: false }));
    await closed;
    expect(tooLarge).to.equal(1);
    expect(socket.destroyed).to.equal(true);
  });
});
