// Money as integer minor units of a currency, never floats.
import { formatMoney } from '../contract/index.ts';

/** Minor digits of the currencies whose practical minor unit differs from ISO 4217's 2. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { IDR: 0, JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, HUF: 0, BHD: 3, KWD: 3, OMR: 3, TND: 3 };

/** How many minor digits a currency uses by default: IDR 0 (amounts are whole rupiah), most others 2. */
export function defaultMinorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

/** Largest amount a tariff may name: keeps every sum a safe integer. */
export const MAX_AMOUNT = 1_000_000_000_000;

/** `Rp12.000` for IDR, `12.50 EUR` otherwise. */
export function money(minor: number, currency: string, minorDigits = defaultMinorDigits(currency)): string {
  return formatMoney(minor, currency, minorDigits);
}
