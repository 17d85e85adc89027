// Mocha helpers for tests that need real service binaries.
import { findBinary, MissingBinaryError } from '../../testbed/services/index.ts';

/**
 * A mocha hook (`before(requireBinary('mosquitto', 'mosquitto'))`) that fails
 * the suite with an install hint when `name` is missing, or, with env
 * PARKING_TEST_ALLOW_MISSING=1, prints the reason to stderr and skips it.
 */
export function requireBinary(name: string, pkg: string): (this: Mocha.Context) => void {
  return function (this: Mocha.Context): void {
    if (findBinary(name)) return;
    const err = new MissingBinaryError(name, pkg);
    if (process.env.PARKING_TEST_ALLOW_MISSING === '1') {
      process.stderr.write(`skipping (PARKING_TEST_ALLOW_MISSING=1): ${err.message}\n`);
      this.skip();
    }
    throw err;
  };
}
