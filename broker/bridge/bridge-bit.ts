// The MQTT bridge bit: a bridge sets 0x80 on the protocol level of its
// CONNECT (Mosquitto's `try_private true` sends 0x84 for MQTT 3.1.1). The
// broker on the other side then treats the connection as a bridge: its
// subscriptions do not get the bridge's own messages back (no echo, no loop)
// and keep the retain flag of what they forward. MQTT.js has no option for
// it, so the bit is set on the bytes of the first packet of the connection.
// Pure: a byte-level state machine that copes with any chunking.

const CONNECT = 0x10;
const BRIDGE_BIT = 0x80;

type State =
  | { at: 'type' }
  | { at: 'length'; bytes: number }
  | { at: 'nameLength'; have: number; length: number }
  | { at: 'name'; left: number }
  | { at: 'version' }
  | { at: 'done' };

/** Feeds the outgoing bytes of one connection; returns them with the bridge bit set in the first CONNECT. */
export class BridgeBitSetter {
  #state: State = { at: 'type' };

  get done(): boolean {
    return this.#state.at === 'done';
  }

  feed(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    let out = chunk;
    for (let i = 0; i < chunk.length && !this.done; i += 1) {
      const byte = chunk[i];
      const s = this.#state;
      switch (s.at) {
        case 'type':
          this.#state = (byte & 0xf0) === CONNECT ? { at: 'length', bytes: 0 } : { at: 'done' };
          break;
        case 'length':
          if (byte & 0x80 && s.bytes < 3) this.#state = { at: 'length', bytes: s.bytes + 1 };
          else this.#state = { at: 'nameLength', have: 0, length: 0 };
          break;
        case 'nameLength': {
          const length = (s.length << 8) | byte;
          this.#state = s.have === 0 ? { at: 'nameLength', have: 1, length } : length > 0 ? { at: 'name', left: length } : { at: 'version' };
          break;
        }
        case 'name':
          this.#state = s.left > 1 ? { at: 'name', left: s.left - 1 } : { at: 'version' };
          break;
        case 'version':
          if (out === chunk) out = Buffer.from(chunk);
          out[i] = byte | BRIDGE_BIT;
          this.#state = { at: 'done' };
          break;
      }
    }
    return out;
  }
}
