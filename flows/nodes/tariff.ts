// parking-tariff: a tariff edited in the Node-RED editor, one field per tariff field,
// validated by billing's tariff engine (errors name the field).
import { validateTariff, type Tariff } from '../../billing/index.ts';
import { onClose, type Node, type NodeAPI, type NodeDef } from './red.ts';

/** The node's properties as the editor stores them (numbers may arrive as text). */
export interface TariffDef extends NodeDef {
  tariffId: string;
  currency: string;
  graceMinutes: unknown;
  firstMinutes: unknown;
  firstPrice: unknown;
  incrementMinutes: unknown;
  incrementPrice: unknown;
  /** Empty: no daily maximum. */
  dailyMax: unknown;
  overnight: boolean | string;
  overnightFrom: string;
  overnightTo: string;
  overnightOffset: string;
  overnightPrice: unknown;
  lostTicketFee: unknown;
}

export interface TariffNode extends Node {
  /** The tariff; undefined when the node's fields are not a valid tariff. */
  tariff?: Tariff;
  /** Why the fields are not a valid tariff. */
  problem?: string;
}

/** Text of digits as a number; anything else unchanged, so validation names it. */
function num(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

const isEmpty = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/** The tariff the node's fields describe; throws a TariffError naming the bad fields. */
export function tariffFromDef(def: TariffDef): Tariff {
  const overnight = def.overnight === true || def.overnight === 'true';
  return validateTariff(
    {
      id: def.tariffId,
      name: isEmpty(def.name) ? undefined : def.name,
      currency: def.currency,
      graceMinutes: num(def.graceMinutes),
      firstPeriod: { minutes: num(def.firstMinutes), price: num(def.firstPrice) },
      increment: { minutes: num(def.incrementMinutes), price: num(def.incrementPrice) },
      dailyMax: isEmpty(def.dailyMax) ? null : num(def.dailyMax),
      overnight: overnight ? { from: def.overnightFrom, to: def.overnightTo, utcOffset: def.overnightOffset, price: num(def.overnightPrice) } : null,
      lostTicketFee: num(def.lostTicketFee),
    },
    `tariff ${def.name || def.tariffId || def.id}`,
  );
}

/**
 * Tariffs of the deployed tariff nodes, by tariff id: they price open sessions in reports.
 * Kept on globalThis: this file may be loaded twice in one process (as ES module by Node-RED,
 * as CommonJS by a test runner), and both must see the same tariffs.
 */
const REGISTRY = Symbol.for('smart-parking.deployed-tariffs');
const deployed: Map<string, { node: string; tariff: Tariff }> = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map()) as Map<string, { node: string; tariff: Tariff }>;

/** The deployed tariff with id `id`, if any. */
export function deployedTariff(id: string): Tariff | undefined {
  return deployed.get(id)?.tariff;
}

export function registerTariff(RED: NodeAPI): void {
  RED.nodes.registerType<TariffDef, TariffNode>('parking-tariff', function (def) {
    RED.nodes.createNode(this, def);
    try {
      this.tariff = tariffFromDef(def);
      deployed.set(this.tariff.id, { node: this.id, tariff: this.tariff });
    } catch (err) {
      this.problem = (err as Error).message;
      this.error(this.problem);
    }
    onClose(this, () => {
      const id = this.tariff?.id;
      if (id && deployed.get(id)?.node === this.id) deployed.delete(id);
    });
  });
}

/**
 * The tariff a gate event at `lot` is charged by: the lot's (the lot configuration's `tariff`,
 * `PARKING_FLOWS_LOT_TARIFFS`) when a tariff node with that id is deployed, else `fallback` (the
 * charging node's own). `missing` names the lot's tariff when it is not deployed.
 */
export function tariffForLot(lot: string, lotTariffs: Readonly<Record<string, string>>, fallback: Tariff, lookup: (id: string) => Tariff | undefined = deployedTariff): { tariff: Tariff; missing?: string } {
  const id = lotTariffs[lot];
  if (!id || id === fallback.id) return { tariff: fallback };
  const tariff = lookup(id);
  return tariff ? { tariff } : { tariff: fallback, missing: id };
}

/** `PARKING_FLOWS_LOT_TARIFFS` (a JSON object of lot → tariff id), checked; a problem is said, not thrown. */
export function lotTariffsFromEnv(text: string | undefined): { tariffs: Record<string, string>; problem?: string } {
  if (!text || !text.trim()) return { tariffs: {} };
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) throw new Error('not an object of tariff ids');
    return { tariffs: parsed as Record<string, string> };
  } catch (err) {
    return { tariffs: {}, problem: `PARKING_FLOWS_LOT_TARIFFS: ${(err as Error).message}; every lot is charged by the node's tariff` };
  }
}
