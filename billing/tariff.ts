// Tariffs are data: a JSON object validated here, with errors that name the field.
// Pure, no I/O. Amounts are integer minor units of `currency` (whole rupiah for IDR).
import { formatMoney, ID_PATTERN } from '../contract/index.ts';
import { defaultMinorDigits, MAX_AMOUNT } from './money.ts';

/** A price for a span of minutes. */
export interface Period {
  minutes: number;
  price: number;
}

/**
 * The overnight flat rate: time inside the window `from`-`to` (local time at `utcOffset`;
 * the window may cross midnight) is not charged by the time rate; each night the stay
 * touches costs `price` once instead.
 */
export interface Overnight {
  /** `HH:MM`, local. */
  from: string;
  /** `HH:MM`, local; before `from` when the window crosses midnight. */
  to: string;
  /** `+07:00` (WIB), `+08:00` (WITA), `+09:00` (WIT)… */
  utcOffset: string;
  price: number;
}

export interface Tariff {
  /** 1-32 characters of `A-Z a-z 0-9 _ -`; stored with each session. */
  id: string;
  name: string;
  /** ISO 4217 code, e.g. `IDR`. */
  currency: string;
  /** Digits of the minor unit, for display only: IDR 0, EUR 2. */
  minorDigits: number;
  /** Stays shorter than this are free. */
  graceMinutes: number;
  /** The price of the first period (any stay at least as long as the grace period pays it). */
  firstPeriod: Period;
  /** After the first period: `price` per started `minutes`. */
  increment: Period;
  /** At most this much per 24 hours from entry; null = no cap. */
  dailyMax: number | null;
  overnight: Overnight | null;
  /** Charged for an exit with no matching entry (lost ticket). */
  lostTicketFee: number;
}

export interface TariffProblem {
  /** Dotted path of the field, e.g. `increment.minutes`. */
  field: string;
  message: string;
}

export class TariffError extends Error {
  override readonly name = 'TariffError';
  constructor(
    readonly problems: readonly TariffProblem[],
    readonly source = 'tariff',
  ) {
    super(`${source}: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  }
}

const CURRENCY = /^[A-Z]{3}$/;
const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;
const OFFSET = /^([+-])(\d{2}):([0-5]\d)$/;
const DAY_MINUTES = 1440;

const TOP_FIELDS = ['id', 'name', 'currency', 'minorDigits', 'graceMinutes', 'firstPeriod', 'increment', 'dailyMax', 'overnight', 'lostTicketFee'];
const PERIOD_FIELDS = ['minutes', 'price'];
const OVERNIGHT_FIELDS = ['from', 'to', 'utcOffset', 'price'];

/** Minutes after local midnight of `HH:MM`, or undefined. */
export function clockMinutes(text: string): number | undefined {
  const m = CLOCK.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Minutes east of UTC of `+HH:MM`, or undefined (accepted: -12:00 to +14:00). */
export function offsetMinutes(text: string): number | undefined {
  const m = OFFSET.exec(text);
  if (!m) return undefined;
  const minutes = (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
  return minutes >= -720 && minutes <= 840 ? minutes : undefined;
}

const show = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

class Checker {
  readonly problems: TariffProblem[] = [];

  problem(field: string, message: string): void {
    this.problems.push({ field, message });
  }

  object(value: unknown, field: string): Record<string, unknown> | undefined {
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.problem(field, `must be an object, got ${show(value)}`);
    return undefined;
  }

  unknown(obj: Record<string, unknown>, known: readonly string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.problem(`${prefix}${key}`, `is not a tariff field (known: ${known.join(', ')})`);
    }
  }

  integer(value: unknown, field: string, min: number, max: number, unit = ''): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.problem(field, `must be an integer ${min}-${max}${unit}, got ${show(value)}`);
    return min;
  }

  amount(value: unknown, field: string): number {
    return this.integer(value, field, 0, MAX_AMOUNT, ' (minor units of the currency)');
  }

  text(value: unknown, field: string, test: (s: string) => boolean, what: string): string {
    if (typeof value === 'string' && test(value)) return value;
    this.problem(field, `must be ${what}, got ${show(value)}`);
    return '';
  }

  period(value: unknown, field: string): Period {
    const obj = this.object(value, field);
    if (!obj) return { minutes: 1, price: 0 };
    this.unknown(obj, PERIOD_FIELDS, `${field}.`);
    return {
      minutes: this.integer(obj.minutes, `${field}.minutes`, 1, DAY_MINUTES, ' minutes'),
      price: this.amount(obj.price, `${field}.price`),
    };
  }

  overnight(value: unknown): Overnight | null {
    if (value === null || value === undefined) return null;
    const obj = this.object(value, 'overnight');
    if (!obj) return null;
    this.unknown(obj, OVERNIGHT_FIELDS, 'overnight.');
    const from = this.text(obj.from, 'overnight.from', (s) => clockMinutes(s) !== undefined, 'a local time HH:MM');
    const to = this.text(obj.to, 'overnight.to', (s) => clockMinutes(s) !== undefined, 'a local time HH:MM');
    if (from && to && from === to) this.problem('overnight.to', `must differ from overnight.from (${from})`);
    return {
      from,
      to,
      utcOffset: this.text(obj.utcOffset, 'overnight.utcOffset', (s) => offsetMinutes(s) !== undefined, 'a UTC offset from -12:00 to +14:00 such as "+07:00"'),
      price: this.amount(obj.price, 'overnight.price'),
    };
  }
}

/**
 * Checks a tariff (parsed JSON) and returns it complete (`name`, `minorDigits`, `dailyMax`,
 * `overnight` filled in when left out). Throws a TariffError listing every bad field.
 */
export function validateTariff(input: unknown, source = 'tariff'): Tariff {
  const c = new Checker();
  const obj = c.object(input, '(tariff)');
  if (!obj) throw new TariffError(c.problems, source);
  c.unknown(obj, TOP_FIELDS, '');
  const id = c.text(obj.id, 'id', (s) => ID_PATTERN.test(s), '1-32 characters of A-Z a-z 0-9 _ -');
  const name = obj.name === undefined ? id : c.text(obj.name, 'name', (s) => s.trim().length > 0 && s.length <= 100, 'a text of 1-100 characters');
  const currency = c.text(obj.currency, 'currency', (s) => CURRENCY.test(s), 'an ISO 4217 code of 3 capital letters such as "IDR"');
  const minorDigits = obj.minorDigits === undefined ? defaultMinorDigits(currency) : c.integer(obj.minorDigits, 'minorDigits', 0, 4);
  const tariff: Tariff = {
    id,
    name,
    currency,
    minorDigits,
    graceMinutes: c.integer(obj.graceMinutes, 'graceMinutes', 0, DAY_MINUTES, ' minutes'),
    firstPeriod: c.period(obj.firstPeriod, 'firstPeriod'),
    increment: c.period(obj.increment, 'increment'),
    dailyMax: obj.dailyMax === null || obj.dailyMax === undefined ? null : c.integer(obj.dailyMax, 'dailyMax', 1, MAX_AMOUNT, ' (minor units of the currency), or null for no cap'),
    overnight: c.overnight(obj.overnight),
    lostTicketFee: c.amount(obj.lostTicketFee, 'lostTicketFee'),
  };
  if (c.problems.length) throw new TariffError(c.problems, source);
  return tariff;
}

/** Parses and validates a tariff from JSON text. */
export function parseTariff(json: string, source = 'tariff'): Tariff {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new TariffError([{ field: '(tariff)', message: `is not JSON: ${(err as Error).message}` }], source);
  }
  return validateTariff(value, source);
}

const minutesText = (m: number): string => (m % 60 === 0 ? `${m / 60 === 1 ? 'hour' : `${m / 60} hours`}` : `${m} min`);

/** The tariff in words, one line per rule, for people and the open-data feeds (DATEX II `tariffDescription`). */
export function describeTariff(t: Tariff): string[] {
  const price = (minor: number) => formatMoney(minor, t.currency, t.minorDigits);
  const lines = [`${t.name}: ${price(t.firstPeriod.price)} the first ${minutesText(t.firstPeriod.minutes)}, then ${price(t.increment.price)} each further ${minutesText(t.increment.minutes)} begun`];
  if (t.graceMinutes > 0) lines.push(`free for stays under ${t.graceMinutes} min`);
  if (t.dailyMax !== null) lines.push(`at most ${price(t.dailyMax)} a day`);
  if (t.overnight) lines.push(`${t.overnight.from}-${t.overnight.to} (UTC${t.overnight.utcOffset}): ${price(t.overnight.price)} a night`);
  lines.push(`lost ticket: ${price(t.lostTicketFee)}`);
  return lines;
}
