// MongoDB wire protocol framing: the standard message header, OP_MSG (2013),
// the legacy OP_QUERY (2004) used by the first handshake, and OP_REPLY (1).
import { BSON, type Document } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
export const OP_COMPRESSED = 2012;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;

const HEADER = 16;
/** Largest message we accept (MongoDB's maxMessageSizeBytes). */
export const MAX_MESSAGE_BYTES = 48_000_000;

export interface Header {
  length: number;
  requestId: number;
  responseTo: number;
  opCode: number;
}

export interface MsgRequest {
  kind: 'msg';
  header: Header;
  flags: number;
  /** Body document with any document-sequence sections folded in as arrays. */
  command: Document;
}

export interface QueryRequest {
  kind: 'query';
  header: Header;
  fullCollectionName: string;
  command: Document;
}

export type Request = MsgRequest | QueryRequest;

export class WireError extends Error {}

const deserializeOptions = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;

/** Splits a byte stream into whole messages; keeps the remainder for the next chunk. */
export class MessageReader {
  private buffered: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    while (this.size >= 4) {
      const head = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered);
      this.buffered = [head];
      const length = head.readInt32LE(0);
      if (length < HEADER || length > MAX_MESSAGE_BYTES) throw new WireError(`message length ${length} out of range`);
      if (this.size < length) break;
      out.push(head.subarray(0, length));
      const rest = head.subarray(length);
      this.buffered = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }
}

export function parseHeader(buf: Buffer): Header {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new WireError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

export function parseRequest(buf: Buffer): Request {
  const header = parseHeader(buf);
  if (header.opCode === OP_MSG) return parseMsg(header, buf);
  if (header.opCode === OP_QUERY) return parseQuery(header, buf);
  throw new WireError(`unsupported opCode ${header.opCode}`);
}

function parseMsg(header: Header, buf: Buffer): MsgRequest {
  const flags = buf.readUInt32LE(HEADER);
  let offset = HEADER + 4;
  const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
  let command: Document | undefined;
  const sequences: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = buf[offset];
    offset += 1;
    if (kind === 0) {
      const size = buf.readInt32LE(offset);
      command = BSON.deserialize(buf.subarray(offset, offset + size), deserializeOptions);
      offset += size;
    } else if (kind === 1) {
      const size = buf.readInt32LE(offset);
      const sectionEnd = offset + size;
      const [identifier, next] = readCString(buf, offset + 4);
      let pos = next;
      const docs: Document[] = [];
      while (pos < sectionEnd) {
        const docSize = buf.readInt32LE(pos);
        docs.push(BSON.deserialize(buf.subarray(pos, pos + docSize), deserializeOptions));
        pos += docSize;
      }
      sequences[identifier] = docs;
      offset = sectionEnd;
    } else {
      throw new WireError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!command) throw new WireError('OP_MSG without a body section');
  for (const [key, docs] of Object.entries(sequences)) command[key] = docs;
  return { kind: 'msg', header, flags, command };
}

function parseQuery(header: Header, buf: Buffer): QueryRequest {
  let offset = HEADER + 4; // flags
  const [fullCollectionName, next] = readCString(buf, offset);
  offset = next + 8; // numberToSkip, numberToReturn
  const size = buf.readInt32LE(offset);
  let command = BSON.deserialize(buf.subarray(offset, offset + size), deserializeOptions);
  // Legacy wrapped form: { $query: {...}, $readPreference: ... }
  if (command.$query && typeof command.$query === 'object') command = { ...command.$query };
  return { kind: 'query', header, fullCollectionName, command };
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function encodeMsg(requestId: number, responseTo: number, body: Document, flags = 0): Buffer {
  const doc = BSON.serialize(body);
  const length = HEADER + 4 + 1 + doc.length;
  const flagBuf = Buffer.alloc(5);
  flagBuf.writeUInt32LE(flags, 0);
  flagBuf[4] = 0;
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), flagBuf, doc]);
}

export function encodeReply(requestId: number, responseTo: number, body: Document): Buffer {
  const doc = BSON.serialize(body);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(0n, 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  const length = HEADER + fields.length + doc.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, doc]);
}
