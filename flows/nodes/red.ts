// The part of Node-RED's node API our nodes use, typed (Node-RED ships no types).

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export interface NodeMessage {
  _msgid?: string;
  topic?: string;
  payload?: unknown;
  [key: string]: unknown;
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export type Send = (msg: NodeMessage | Array<NodeMessage | null> | null) => void;
export type Done = (err?: Error) => void;

export interface Node {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
  credentials?: Record<string, string | undefined>;
  on(event: 'input', listener: (msg: NodeMessage, send: Send, done: Done) => void): void;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): void;
  send(msg: NodeMessage | Array<NodeMessage | null>): void;
  status(status: NodeStatus): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown, origMsg?: NodeMessage): void;
  debug(msg: unknown): void;
}

export type NodeConstructor<D extends NodeDef, N extends Node> = (this: N, def: D) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType<D extends NodeDef, N extends Node>(type: string, constructor: NodeConstructor<D, N>, options?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getNode(id: string): Node | null;
  };
  settings: Record<string, unknown>;
  log: { info(msg: unknown): void; warn(msg: unknown): void; error(msg: unknown): void };
}

/** Runs `work` on close and calls Node-RED's `done` however it ends. */
export function onClose(node: Node, work: (removed: boolean) => Promise<unknown> | void): void {
  node.on('close', (removed, done) => {
    Promise.resolve()
      .then(() => work(removed))
      .catch((err: Error) => node.warn(`while closing: ${err.message}`))
      .finally(done);
  });
}

/** A property still reading `${NAME}`: Node-RED found no such environment variable. */
export function unsetEnv(value: unknown): string | undefined {
  const m = typeof value === 'string' ? /^\$\{([A-Za-z0-9_]+)\}$/.exec(value.trim()) : null;
  return m?.[1];
}
