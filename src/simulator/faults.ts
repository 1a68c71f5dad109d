// Fault injection: FIFO rules, a seeded random mix, and "auth down".
import { randomInt } from 'node:crypto';
import { faultActionSchema, faultRuleSchema, randomFaultsSchema } from './schemas';
import type { FaultAction, FaultInjector, FaultRule, FaultsState, FaultTarget, RandomFaultOptions } from './types';

/** What a request is, for matching fault targets. */
export type RequestKind = 'release' | 'auth' | 'other';

export const PROXY_502_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n' +
  '<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n';

/** The default mix of transient faults for random(). */
export const DEFAULT_RANDOM_ACTIONS: readonly FaultAction[] = [
  { type: 'status', status: 503 },
  { type: 'retry-after', status: 429, retryAfter: 0 },
  { type: 'status', status: 502, body: PROXY_502_PAGE, contentType: 'text/html; charset=utf-8' },
  { type: 'destroy-before' },
  { type: 'destroy-after' },
  { type: 'delay', ms: 50 },
];

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(target: FaultTarget, kind: RequestKind): boolean {
  return target === 'any' || target === kind;
}

interface ActiveRule {
  target: FaultTarget;
  action: FaultAction;
  remaining: number;
}

interface RandomSetting {
  rate: number;
  seed: number;
  target: FaultTarget;
  actions: FaultAction[];
  next: () => number;
}

export class Faults implements FaultInjector {
  private rules: ActiveRule[] = [];
  private rnd: RandomSetting | null = null;
  private down = false;
  private count = 0;

  get injected(): number {
    return this.count;
  }

  add(rule: FaultRule): void {
    const parsed = faultRuleSchema.safeParse(rule);
    if (!parsed.success) throw new TypeError(`invalid fault rule: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const r = parsed.data;
    this.rules.push({ target: r.target ?? 'any', action: r.action, remaining: r.times ?? 1 });
  }

  random(opts: RandomFaultOptions): void {
    const parsed = randomFaultsSchema.safeParse(opts);
    if (!parsed.success) throw new TypeError(`invalid random faults: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    const o = parsed.data;
    const seed = o.seed ?? randomInt(2 ** 31);
    const actions = (o.actions ?? DEFAULT_RANDOM_ACTIONS).map((a) => faultActionSchema.parse(a));
    this.rnd = { rate: o.rate, seed, target: o.target ?? 'any', actions, next: mulberry32(seed) };
  }

  authDown(down: boolean): void {
    this.down = down;
  }

  clear(): void {
    this.rules = [];
    this.rnd = null;
    this.down = false;
  }

  /** Counts an injected fault (auth-down refusals included). */
  noteInjected(): void {
    this.count++;
  }

  /** reset() of the simulator starts counting again. */
  resetCount(): void {
    this.count = 0;
  }

  isAuthDown(): boolean {
    return this.down;
  }

  /** The fault for the next request of this kind, consuming a rule or a random draw. Rules
   *  come first; the random setting is drawn once per matching request not taken by a rule. */
  take(kind: RequestKind): FaultAction | undefined {
    const i = this.rules.findIndex((r) => matches(r.target, kind));
    if (i >= 0) {
      const rule = this.rules[i]!;
      rule.remaining--;
      if (rule.remaining <= 0) this.rules.splice(i, 1);
      return rule.action;
    }
    const rnd = this.rnd;
    if (rnd && matches(rnd.target, kind) && rnd.rate > 0) {
      if (rnd.next() < rnd.rate) return rnd.actions[Math.floor(rnd.next() * rnd.actions.length)];
    }
    return undefined;
  }

  snapshot(): FaultsState {
    const r = this.rnd;
    return {
      pendingRules: this.rules.length,
      random: r ? { rate: r.rate, seed: r.seed, target: r.target, actions: r.actions.length } : null,
      authDown: this.down,
      injected: this.count,
    };
  }
}
