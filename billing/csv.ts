// CSV (RFC 4180): a header line, CRLF line ends, fields quoted when they need it. Pure.

export type Cell = string | number | boolean | Date | null | undefined;

function field(value: Cell): string {
  if (value === null || value === undefined) return '';
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** `rows` as CSV with `columns` as the header, in that order. */
export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.map((c) => field(c)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => field(row[c] as Cell)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
