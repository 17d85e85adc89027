// Ids of lots, levels, slots, gates and devices: 1-32 characters of [A-Za-z0-9_-].
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

export const isId = (value: unknown): value is string => typeof value === 'string' && ID_PATTERN.test(value);

/** Why `value` is not a valid id, or undefined when it is. */
export function idProblem(what: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${what} must be a string`;
  if (value.length === 0 || value.length > 32) return `${what} '${value}' must be 1-32 characters`;
  if (!ID_PATTERN.test(value)) return `${what} '${value}' may contain only A-Z a-z 0-9 _ -`;
  return undefined;
}
