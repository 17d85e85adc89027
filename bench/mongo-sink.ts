// An acknowledge-only MongoDB for the throughput search: a one-member replica
// set on the MongoDB wire protocol (the stand-in's codec) that answers every
// write as applied and stores nothing. Ingest runs against it unchanged, so
// the brokers' and ingest's own rate shows with the database's cost left out.
// Never a database: reads return nothing. Run by `parking bench`:
//   node --import tsx bench/mongo-sink.ts PORT
// prints "mongo sink listening mongodb://127.0.0.1:PORT/?replicaSet=sink" when it serves.
import net from 'node:net';
import { Long, ObjectId, Timestamp, type Document } from 'bson';
import { MSG_MORE_TO_COME, MessageReader, encodeMsg, encodeReply, parseRequest } from '../testbed/mongo/wire.ts';

const port = Number(process.argv[2] ?? 0);
const SET = 'sink';
let requestIds = 1;
let connectionIds = 0;
const processId = new ObjectId();
const electionId = new ObjectId('7fffffff0000000000000001');

/** The reply to one command: hello as the primary, writes as applied, reads empty. */
function answer(command: Document, me: string, connectionId: number): Document {
  const name = Object.keys(command)[0] ?? '';
  const now = new Date();
  const opTime = { ts: new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 }), t: Long.fromNumber(1) };
  switch (name.toLowerCase()) {
    case 'hello':
    case 'ismaster':
      return {
        isWritablePrimary: true, ismaster: true, helloOk: true, setName: SET, setVersion: 1, hosts: [me], me, primary: me, electionId,
        maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48_000_000, maxWriteBatchSize: 100_000, localTime: now,
        logicalSessionTimeoutMinutes: 30, connectionId, minWireVersion: 0, maxWireVersion: 21, readOnly: false,
        lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now }, processId, ok: 1,
      };
    case 'update':
    case 'delete':
      return { n: (command.updates ?? command.deletes ?? []).length, nModified: (command.updates ?? []).length, ok: 1 };
    case 'insert':
      return { n: (command.documents ?? []).length, ok: 1 };
    case 'find':
    case 'aggregate':
    case 'listcollections':
    case 'listindexes':
      return { cursor: { id: Long.fromNumber(0), ns: `${command.$db ?? 'admin'}.${String(command[name])}`, firstBatch: [] }, ok: 1 };
    case 'buildinfo':
      return { version: '7.0.0', versionArray: [7, 0, 0, 0], ok: 1 };
    default:
      return { ok: 1 };
  }
}

const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  const connectionId = ++connectionIds;
  const reader = new MessageReader();
  const me = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  socket.on('data', (chunk: Buffer) => {
    for (const raw of reader.push(chunk)) {
      const request = parseRequest(raw);
      const reply = answer(request.command, me, connectionId);
      if (request.kind === 'query') socket.write(encodeReply(requestIds++, request.header.requestId, reply));
      else if (!(request.flags & MSG_MORE_TO_COME)) socket.write(encodeMsg(requestIds++, request.header.requestId, reply));
    }
  });
  socket.on('error', () => socket.destroy());
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as net.AddressInfo;
  process.stdout.write(`mongo sink listening mongodb://127.0.0.1:${address.port}/?replicaSet=${SET}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
