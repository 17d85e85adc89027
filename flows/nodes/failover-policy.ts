// When to move the MQTT connection to the next broker: the connection has not been up for
// `afterMs`. Pure state; the caller owns the timer.

export type LinkState = 'up' | 'down';

export class FailoverPolicy {
  private index = 0;
  private state: LinkState = 'down';

  constructor(
    readonly urls: readonly string[],
    readonly afterMs: number,
  ) {
    if (urls.length === 0) throw new Error('no broker URLs');
  }

  /** The broker the connection uses now. */
  get current(): string {
    return this.urls[this.index];
  }

  get link(): LinkState {
    return this.state;
  }

  /** Records a status; true when a switch timer should run (the link is down). */
  observe(state: LinkState): boolean {
    this.state = state;
    return state === 'down' && this.urls.length > 1;
  }

  /** The timer ran out with the link still down: the next broker, or undefined when it is up again. */
  next(): string | undefined {
    if (this.state === 'up' || this.urls.length < 2) return undefined;
    this.index = (this.index + 1) % this.urls.length;
    return this.current;
  }
}

/** A Node-RED status (of an mqtt node) as a link state: green is up, anything else down. */
export function linkState(status: { fill?: string; text?: string } | undefined): LinkState | undefined {
  if (!status || (!status.fill && !status.text)) return undefined;
  if (status.fill === 'green') return 'up';
  return 'down';
}
