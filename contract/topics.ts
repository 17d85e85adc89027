// The MQTT topic tree of CONTRACT.md, under a configurable root (`parking`).
import { isId } from './ids.ts';

export type Topic =
  | { kind: 'slot'; lot: string; level: string; slot: string }
  | { kind: 'deviceStatus'; lot: string; device: string }
  | { kind: 'gateEvent'; lot: string; gate: string }
  | { kind: 'gateDisplay'; lot: string; gate: string }
  | { kind: 'availability'; lot: string }
  | { kind: 'levelAvailability'; lot: string; level: string }
  | { kind: 'forecast'; lot: string; level?: string }
  | { kind: 'alarm'; lot: string; alarm: string };

export type TopicKind = Topic['kind'];

export const DEFAULT_ROOT = 'parking';

/** Builds and parses topics under one root; the root may have several levels (`city/parking`). */
export class Topics {
  constructor(readonly root = DEFAULT_ROOT) {}

  slot(lot: string, level: string, slot: string): string {
    return `${this.root}/${lot}/slot/${level}/${slot}`;
  }
  deviceStatus(lot: string, device: string): string {
    return `${this.root}/${lot}/device/${device}/status`;
  }
  gateEvent(lot: string, gate: string): string {
    return `${this.root}/${lot}/gate/${gate}/event`;
  }
  gateDisplay(lot: string, gate: string): string {
    return `${this.root}/${lot}/gate/${gate}/display`;
  }
  availability(lot: string): string {
    return `${this.root}/${lot}/availability`;
  }
  levelAvailability(lot: string, level: string): string {
    return `${this.root}/${lot}/availability/${level}`;
  }
  /** The lot's forecast, or a level's. */
  forecast(lot: string, level?: string): string {
    return `${this.root}/${lot}/forecast${level === undefined ? '' : `/${level}`}`;
  }
  alarm(lot: string, alarm: string): string {
    return `${this.root}/${lot}/alarm/${alarm}`;
  }

  /** Subscription filters for each kind of topic (all lots). */
  get filters() {
    const r = this.root;
    return {
      all: `${r}/#`,
      slots: `${r}/+/slot/+/+`,
      deviceStatus: `${r}/+/device/+/status`,
      gateEvents: `${r}/+/gate/+/event`,
      gateDisplays: `${r}/+/gate/+/display`,
      availability: `${r}/+/availability`,
      levelAvailability: `${r}/+/availability/+`,
      lotAvailability: (lot: string) => [`${r}/${lot}/availability`, `${r}/${lot}/availability/+`],
      alarms: `${r}/+/alarm/+`,
    };
  }

  /** The topic's meaning, or undefined when it is not one of ours or an id is malformed. */
  parse(topic: string): Topic | undefined {
    if (!topic.startsWith(`${this.root}/`)) return undefined;
    const parts = topic.slice(this.root.length + 1).split('/');
    const [lot, kind, a, b] = parts;
    if (!isId(lot)) return undefined;
    const n = parts.length;
    if (kind === 'slot' && n === 4 && isId(a) && isId(b)) return { kind: 'slot', lot, level: a, slot: b };
    if (kind === 'device' && n === 4 && b === 'status' && isId(a)) return { kind: 'deviceStatus', lot, device: a };
    if (kind === 'gate' && n === 4 && isId(a) && b === 'event') return { kind: 'gateEvent', lot, gate: a };
    if (kind === 'gate' && n === 4 && isId(a) && b === 'display') return { kind: 'gateDisplay', lot, gate: a };
    if (kind === 'availability' && n === 2) return { kind: 'availability', lot };
    if (kind === 'availability' && n === 3 && isId(a)) return { kind: 'levelAvailability', lot, level: a };
    if (kind === 'forecast' && n === 2) return { kind: 'forecast', lot };
    if (kind === 'forecast' && n === 3 && isId(a)) return { kind: 'forecast', lot, level: a };
    if (kind === 'alarm' && n === 3 && isId(a)) return { kind: 'alarm', lot, alarm: a };
    return undefined;
  }
}
