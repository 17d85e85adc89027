// One member of the stand-in replica set: a TCP server speaking the wire
// protocol, whose connections can be cut (kill) or silenced (partition).
import net from 'node:net';
import { ObjectId } from 'bson';
import type { Document } from 'bson';
import type { MemberView, ReplicaSetView } from './context.ts';
import { Cursors } from './cursors.ts';
import { dispatch } from './dispatch.ts';
import { CloseConnection, forgetConnection, resetFailPoints } from './failpoint.ts';
import {
  MessageReader, MSG_EXHAUST_ALLOWED, MSG_MORE_TO_COME, encodeMsg, encodeReply, parseRequest,
} from './wire.ts';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

let requestIds = 1;
let connectionIds = 0;

const isHello = (cmd: Document) => 'hello' in cmd || 'isMaster' in cmd || 'ismaster' in cmd;

export class Member implements MemberView {
  readonly cursors = new Cursors();
  readonly host: string;
  processId = new ObjectId();
  counter = 0n;
  down = true;
  partitioned = false;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly index: number,
    readonly port: number,
    private readonly rs: ReplicaSetView & { isPrimaryMember(m: Member): boolean },
    private readonly logger: Logger,
    private readonly bindHost = '127.0.0.1',
  ) {
    this.host = `${bindHost}:${port}`;
  }

  get healthy(): boolean {
    return !this.down && !this.partitioned;
  }

  isPrimary(): boolean {
    return this.rs.isPrimaryMember(this);
  }

  listen(): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.bindHost, () => {
        server.off('error', reject);
        this.down = false;
        this.processId = new ObjectId();
        resolve();
      });
    });
  }

  /** Crash: every connection drops at once and the port stops answering. */
  async kill(): Promise<void> {
    this.down = true;
    // Newest first: application connections close before the driver's older
    // monitoring connections, as a crashed server's pooled sockets usually do.
    for (const socket of [...this.sockets].reverse()) socket.destroy();
    this.sockets.clear();
    this.cursors.clear();
    resetFailPoints(this);
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (this.down) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connectionId = ++connectionIds;
    const reader = new MessageReader();
    let chain = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      if (this.partitioned) return; // a pulled cable: bytes vanish, nothing answers
      let messages: Buffer[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        this.logger.warn({ member: this.host, err: (err as Error).message }, 'bad wire message; closing connection');
        socket.destroy();
        return;
      }
      for (const raw of messages) {
        chain = chain.then(() => this.handle(socket, raw, connectionId)).catch((err) => {
          // The failCommand fail point's closeConnection hangs up on purpose.
          if (!(err instanceof CloseConnection)) this.logger.warn({ member: this.host, err: (err as Error).message }, 'request failed; closing connection');
          socket.destroy();
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      forgetConnection(connectionId);
    });
  }

  private canReply(socket: net.Socket): boolean {
    return !socket.destroyed && !this.partitioned && !this.down;
  }

  private async handle(socket: net.Socket, raw: Buffer, connectionId: number): Promise<void> {
    if (socket.destroyed) return; // hung up (closeConnection): what was pipelined behind is not run
    const request = parseRequest(raw);
    if (request.kind === 'query') {
      const db = request.fullCollectionName.split('.')[0];
      const reply = await dispatch({ command: request.command, db, member: this, rs: this.rs, connectionId, legacySecondaryOk: true });
      if (this.canReply(socket)) socket.write(encodeReply(requestIds++, request.header.requestId, reply));
      return;
    }
    let command = request.command;
    const db = typeof command.$db === 'string' ? command.$db : 'admin';
    const exhaust = (request.flags & MSG_EXHAUST_ALLOWED) !== 0 && isHello(command) && command.maxAwaitTimeMS !== undefined;
    const silent = (request.flags & MSG_MORE_TO_COME) !== 0;
    let responseTo = request.header.requestId;
    while (true) {
      const reply = await dispatch({ command, db, member: this, rs: this.rs, connectionId });
      if (silent || !this.canReply(socket)) return;
      const requestId = requestIds++;
      const more = exhaust && reply.ok === 1;
      socket.write(encodeMsg(requestId, responseTo, reply, more ? MSG_MORE_TO_COME : 0));
      if (!more) return;
      responseTo = requestId;
      command = { ...command, topologyVersion: reply.topologyVersion };
    }
  }
}
