// The serial pools: product code -> serial -> status.
import { randomInt } from 'node:crypto';
import { SAMPLE_PRODUCT_CODE, SAMPLE_SERIALS, SECOND_PRODUCT_CODE } from './constants';
import { AI21_SERIAL, isValidGtin14 } from './gs1';
import type { ProductSeed, SerialStatus } from './types';

const SERIAL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A random 20-character upper-case alphanumeric serial, like the vendor's samples. */
export function randomSerial(): string {
  let s = '';
  for (let i = 0; i < 20; i++) s += SERIAL_ALPHABET[randomInt(SERIAL_ALPHABET.length)];
  return s;
}

function randomSerials(count: number, avoid: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    const s = randomSerial();
    if (!avoid.has(s)) out.add(s);
  }
  return [...out];
}

/** The default seed: the vendor sample's product with its two serials Assigned and 100
 *  Available, and GS1's example GTIN-14 with 50 Assigned and 50 Available. Made once per
 *  simulator, so reset() gives back the same serials. */
export function defaultSeed(): Record<string, ProductSeed> {
  const sample = new Set(SAMPLE_SERIALS);
  const second = randomSerials(100, sample);
  return {
    [SAMPLE_PRODUCT_CODE]: { assigned: [...SAMPLE_SERIALS], available: randomSerials(100, sample) },
    [SECOND_PRODUCT_CODE]: { assigned: second.slice(0, 50), available: second.slice(50) },
  };
}

export function checkProductCode(code: string): void {
  if (!isValidGtin14(code)) {
    throw new Error(`product code ${JSON.stringify(code)} is not a 14-digit GTIN with a valid check digit`);
  }
}

export interface ReleaseOutcome {
  released: number;
  alreadyAvailable: number;
  created: number;
}

export class SerialStore {
  private readonly products = new Map<string, Map<string, SerialStatus>>();
  releasedTotal = 0;
  alreadyAvailableTotal = 0;
  createdTotal = 0;
  releaseRequests = 0;

  constructor(private readonly seed: Record<string, ProductSeed>) {
    this.reset();
  }

  reset(): void {
    this.products.clear();
    this.releasedTotal = 0;
    this.alreadyAvailableTotal = 0;
    this.createdTotal = 0;
    this.releaseRequests = 0;
    for (const [code, seed] of Object.entries(this.seed)) this.addProduct(code, seed);
  }

  hasProduct(code: string): boolean {
    return this.products.has(code);
  }

  addProduct(code: string, seed: ProductSeed = {}): void {
    checkProductCode(code);
    const existing = this.products.get(code);
    const pool = existing ?? new Map<string, SerialStatus>();
    const put = (serial: string, status: SerialStatus): void => {
      if (typeof serial !== 'string' || !AI21_SERIAL.test(serial)) {
        throw new Error(`seed serial ${JSON.stringify(serial)} of product ${code} is not a GS1 AI (21) serial`);
      }
      if (pool.has(serial) && pool.get(serial) !== status) {
        throw new Error(`seed serial ${serial} of product ${code} is both Assigned and Available`);
      }
      pool.set(serial, status);
    };
    for (const s of seed.assigned ?? []) put(s, 'Assigned');
    for (const s of seed.available ?? []) put(s, 'Available');
    if (!existing) this.products.set(code, pool);
  }

  status(code: string, serial: string): SerialStatus | undefined {
    return this.products.get(code)?.get(serial);
  }

  assign(code: string, count: number): string[] {
    const pool = this.products.get(code);
    if (!pool) throw new Error(`product ${code} doesn't exist`);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer >= 0, got ${count}`);
    const out: string[] = [];
    for (const [serial, status] of pool) {
      if (out.length >= count) break;
      if (status === 'Available') out.push(serial);
    }
    if (out.length < count) out.push(...randomSerials(count - out.length, new Set(pool.keys())));
    for (const s of out) pool.set(s, 'Assigned');
    return out;
  }

  /** Indexes (into `serials`) of the serials that are not in the product's pool. */
  unknownSerials(code: string, serials: readonly string[]): number[] {
    const pool = this.products.get(code);
    const out: number[] = [];
    serials.forEach((s, i) => {
      if (!pool?.has(s)) out.push(i);
    });
    return out;
  }

  /** Every serial becomes Available; unknown ones are created (check them first when that is not wanted). */
  release(code: string, serials: readonly string[]): ReleaseOutcome {
    const pool = this.products.get(code);
    if (!pool) throw new Error(`product ${code} doesn't exist`);
    const outcome: ReleaseOutcome = { released: 0, alreadyAvailable: 0, created: 0 };
    for (const s of new Set(serials)) {
      const status = pool.get(s);
      if (status === 'Assigned') outcome.released++;
      else if (status === 'Available') outcome.alreadyAvailable++;
      else outcome.created++;
      pool.set(s, 'Available');
    }
    this.releasedTotal += outcome.released;
    this.alreadyAvailableTotal += outcome.alreadyAvailable;
    this.createdTotal += outcome.created;
    this.releaseRequests++;
    return outcome;
  }

  counts(): Record<string, { available: number; assigned: number }> {
    const out: Record<string, { available: number; assigned: number }> = {};
    for (const [code, pool] of this.products) {
      let available = 0;
      for (const status of pool.values()) if (status === 'Available') available++;
      out[code] = { available, assigned: pool.size - available };
    }
    return out;
  }
}
