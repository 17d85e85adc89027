// Validation of namespace names in commands.
import { Codes, ServerError } from '../errors.ts';

export function collectionName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ServerError(Codes.InvalidNamespace, `collection name has invalid type ${typeof value}`);
  }
  if (value.includes('\0') || value.startsWith('.') || (value.includes('$') && !value.startsWith('system.'))) {
    throw new ServerError(Codes.InvalidNamespace, `Invalid collection name: ${value}`);
  }
  return value;
}
