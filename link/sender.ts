// The sending side of a link: which queued publish goes out on which
// connection, in order, and what an acknowledgement settles. The outbox
// (outbox.ts) holds the entries; the link (client.ts) says which connection
// serves.
import type { Connection } from './connection.ts';
import { EARLY_MAX, writeDirect } from './direct.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { RecentAcks } from './replay.ts';

export class Sender {
  /**
   * After a move between two live connections: publishes wait until the old one's in flight
   * are acknowledged, so a device's publishes stay in order across the move (a newer state
   * sent on the new connection could otherwise overtake an older one still on its way on the
   * old, and the brokers, newest state wins, would drop the older one).
   */
  private hold: { on: number; left: number } | undefined;
  private readonly recent: RecentAcks;
  readonly counts = { resent: 0, replayed: 0 };

  constructor(
    private readonly outbox: Outbox,
    replayMs: number,
    private readonly current: () => Connection | undefined,
    /** An entry was acknowledged by the broker at `url` (and removed from the outbox). */
    private readonly onAcked: (entry: OutboxEntry, url: string) => void,
  ) {
    this.recent = new RecentAcks(replayMs);
  }

  /** A new publish: out at once unless a move holds it back. */
  sendNew(conn: Connection, entry: OutboxEntry): void {
    if (!this.hold) this.send(conn, entry);
  }

  /** `conn` serves now; `previous` (still connected) served before. */
  adopt(conn: Connection, previous: Connection | undefined): void {
    this.hold = undefined;
    const inFlight = previous ? this.outbox.all().filter((entry) => entry.sentOn === previous.id).length : 0;
    if (previous && inFlight > 0) this.hold = { on: previous.id, left: inFlight };
    else {
      if (previous) this.replaySinceNotice();
      for (const entry of this.outbox.notOn(conn.id)) this.send(conn, entry);
    }
  }

  /** The broker serving announced its stop: what it acknowledges from now on may never reach its bridge. */
  noticed(at: number): void {
    this.recent.keepSince(at);
  }

  /** `conn` is gone: what it carried is unsent again (the caller sends it on the current one). */
  connectionLost(conn: Connection): void {
    this.outbox.connectionLost(conn.id);
    if (this.hold?.on === conn.id) {
      this.hold = undefined;
      this.replaySinceNotice();
    }
  }

  /** Sends what no connection carries, on the current one. */
  resendUnsent(): void {
    const conn = this.current();
    if (!conn?.up || this.hold) return;
    for (const entry of this.outbox.all()) if (entry.sentOn === undefined) this.send(conn, entry);
  }

  /**
   * Queues again what was acknowledged shortly before the old broker was lost (see replay.ts),
   * ahead of what still waits: those are newer, and a broker given a newer slot state first
   * would refuse the older one as stale, so an older state the lost broker never passed on
   * would reach no one.
   */
  replay(lostAt: number): void {
    const again = this.recent.takeBefore(lostAt);
    this.outbox.prepend(again, Date.now());
    this.counts.replayed += again.length;
  }

  /**
   * After a move away from a broker that announced its stop, before anything newer goes out:
   * what it acknowledged since its notice, again (it may close before passing it on).
   */
  private replaySinceNotice(): void {
    const again = this.recent.takeSinceNotice();
    this.outbox.prepend(again, Date.now());
    this.counts.replayed += again.length;
  }

  private send(conn: Connection, entry: OutboxEntry): void {
    // QoS 1: written directly, acknowledged through `direct` (direct.ts), unless the stream is gone.
    if (this.sendDirect(conn, entry)) return;
    this.markSent(conn, entry);
    conn.client.publish(entry.topic, entry.payload, { qos: entry.qos, retain: entry.retain }, (error) => {
      if (!error) {
        this.acked(entry, conn);
        return;
      }
      // Not acknowledged by this connection: it goes out again on the next one.
      if (entry.sentOn === conn.id) entry.sentOn = undefined;
    });
  }

  /** The oldest unsent QoS 1 publishes, right behind the CONNECT: after a failover the first PUBACK comes one round trip sooner. */
  sendEarly(conn: Connection): void {
    for (const entry of this.outbox.all()) {
      if (conn.direct.size >= EARLY_MAX) break;
      if (entry.sentOn !== undefined) continue;
      if (entry.qos !== 1) break; // keep the order: a QoS 2 publish waits for the CONNACK, and so does what follows it
      if (!this.sendDirect(conn, entry)) break;
    }
  }

  /** Writes a QoS 1 `entry` on `conn` itself (direct.ts) and records it there; false when it cannot. */
  private sendDirect(conn: Connection, entry: OutboxEntry): boolean {
    const messageId = writeDirect(conn.client, entry);
    if (messageId === undefined) return false;
    this.markSent(conn, entry);
    conn.direct.set(messageId, entry);
    return true;
  }

  /** `entry` is on its way on `conn`: a resend counted, its acknowledgement watched (once `conn` serves: before, adopt does it). */
  private markSent(conn: Connection, entry: OutboxEntry): void {
    if (entry.sends > 0) this.counts.resent += 1;
    this.outbox.markSent(entry, conn.id);
    conn.acks?.sent(entry.id, Date.now());
  }

  /**
   * A PUBACK for a publish written directly (direct.ts). As for one MQTT.js made: acknowledged
   * whichever connection carries it now (the answer still clears this connection's in-flight
   * record), and an MQTT 5 refusal sends it again on the next connection.
   */
  directAcked(conn: Connection, messageId: number, reasonCode: number | undefined): void {
    const entry = conn.direct.get(messageId);
    if (!entry || conn.closed) return;
    conn.direct.delete(messageId);
    if (conn.direct.size === 0 && conn.directSettled) {
      const end = conn.directSettled;
      conn.directSettled = undefined;
      // After this answer is handled: the end sends the DISCONNECT.
      queueMicrotask(end);
    }
    if (reasonCode !== undefined && reasonCode >= 0x80) {
      if (entry.sentOn === conn.id) entry.sentOn = undefined;
      return;
    }
    this.acked(entry, conn);
  }

  private acked(entry: OutboxEntry, conn: Connection): void {
    const from = entry.sentOn;
    const now = Date.now();
    // Answered here, even when another connection acknowledged it first (an entry sent again after a
    // stop notice): left in this connection's watch, it would read as unanswered once the link went quiet.
    const rtt = conn.acks?.acked(entry.id, now);
    if (!this.outbox.ack(entry.id)) return;
    // Karn's rule: only a publish sent once times the round trip.
    if (rtt !== undefined && entry.sends === 1) conn.rtt.sample(rtt);
    this.recent.add(entry, now);
    if (this.hold && from === this.hold.on && --this.hold.left <= 0) {
      this.hold = undefined;
      this.replaySinceNotice();
      this.resendUnsent();
    }
    this.onAcked(entry, conn.url);
  }
}
