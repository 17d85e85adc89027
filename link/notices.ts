// What the brokers tell a link in messages: heartbeats, a standby's bridge
// state, a broker's stop notice (and the move it starts), and the caller's
// own topics. The connections themselves are core.ts's.
import type { IPublishPacket } from 'mqtt';
import type { Connection } from './connection.ts';
import { LinkCore } from './core.ts';
import { bridgeStateHeard } from './bridge.ts';
import { redactUrls } from '../log/redact.ts';
import { topicMatches } from './topic.ts';

export abstract class LinkNotices extends LinkCore {
  protected override onMessage(conn: Connection, topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (conn.checking && topicMatches(this.config.heartbeatFilter, topic)) return this.moveTo(conn);
    if (conn.closed || !(conn === this.current || conn.draining)) return;
    this.counters.received += 1;
    if (topicMatches(this.config.heartbeatFilter, topic)) {
      conn.heartbeats += 1;
      conn.lastHeartbeat = Date.now();
      this.counters.heartbeats += 1;
      this.lastHeartbeatAt = conn.lastHeartbeat;
    } else if (this.config.bridgeFilter && conn === this.current && topicMatches(this.config.bridgeFilter, topic)) {
      bridgeStateHeard(conn, payload.toString('utf8'));
      // The primary is reachable through the bridge again: plan the return (a plan waits while it is down).
      if (conn.bridgeState === 'synced' && conn.ready && conn.index !== 0) this.failbackPlan.schedule();
    } else if (this.config.leavingFilter && conn === this.current && topicMatches(this.config.leavingFilter, topic)) {
      this.handOver(conn, payload.toString('utf8'));
      return;
    }
    for (const filter of this.subscriptions.keys()) {
      if (topicMatches(filter, topic)) {
        this.emit('message', topic, payload, packet);
        return;
      }
    }
  }

  /** The broker of `conn` announced a graceful stop: connect to the next one (after a random spread) and move there once connected. */
  protected handOver(conn: Connection, brokerId: string): void {
    if (this.closing || conn.draining || this.servers.length < 2 || this.handoverTimer) return;
    this.sender.noticed(Date.now());
    const target = (conn.index + 1) % this.servers.length;
    if (this.failback?.index === target && this.failback.purpose === 'handover') return;
    this.log.info?.({ url: redactUrls(conn.url), broker: brokerId, to: redactUrls(this.servers[target]) }, 'the broker is stopping: moving to the next one');
    this.handoverTimer = setTimeout(() => {
      this.handoverTimer = undefined;
      if (this.closing || this.current !== conn) return;
      if (this.failback) this.drop(this.failback);
      this.failbackPlan.cancel();
      const spare = this.spare;
      if (spare?.up && spare.index === target) {
        // The spare is there already: move onto it (make before break, as for a new connection).
        this.spare = undefined;
        spare.purpose = 'handover';
        this.failback = spare;
        this.moveTo(spare);
        return;
      }
      this.failback = this.open(target, 'handover');
    }, Math.round(this.config.handoverSpreadMs * this.random()));
  }
}
