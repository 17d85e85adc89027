// The plate key of the tests, and the keyed hash under it (billing/plates.ts).
import { carKeyOf } from '../../billing/index.ts';

export const TEST_PLATE_KEY = Buffer.alloc(32, 7);

/** The keyed hash of `carId` under the tests' key. */
export const testCarKey = (carId: string): string => carKeyOf(TEST_PLATE_KEY, carId);
