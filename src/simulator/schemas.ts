// Request body shapes (zod), and how a zod failure becomes the "Validation error" details.
import { z } from 'zod';
import { AI82_ONLY } from './gs1';
import type { FaultAction, FaultRule, RandomFaultOptions } from './types';

export interface ValidationDetail {
  field: string;
  message: string;
  value?: string;
}

/** `serials[3]`-style field names from a zod path. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

export function toDetails(error: z.ZodError, prefix?: string): ValidationDetail[] {
  return error.issues.map((i) => ({ field: fieldName(prefix ? [prefix, ...i.path] : i.path), message: i.message }));
}

const required = (name: string, what: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? `${name} is required` : `${name} must be ${what}`;

export const releaseBodySchema = z.object({
  product_code: z
    .string({ error: required('product_code', 'a string') })
    .regex(/^\d{14}$/, { error: 'product_code must be a string of 14 digits (a GTIN-14)' }),
  product_code_schema: z.literal('GTIN', { error: required('product_code_schema', '"GTIN"') }),
  serials: z
    .array(
      z
        .string({ error: 'serial must be a string' })
        .min(1, { error: 'serial must not be empty' })
        .max(20, { error: 'serial must be at most 20 characters long' })
        .regex(AI82_ONLY, { error: 'serial contains a character outside the GS1 AI (21) character set' }),
      { error: required('serials', 'an array of strings') },
    )
    .min(1, { error: 'serials must not be empty' }),
});
export type ReleaseBody = z.infer<typeof releaseBodySchema>;

export const authBodySchema = z.object({
  api_key: z.string({ error: required('api_key', 'a string') }),
  api_secret: z.string({ error: required('api_secret', 'a string') }),
});

export const assignBodySchema = z.object({
  product_code: z.string({ error: required('product_code', 'a string') }),
  count: z
    .number({ error: required('count', 'a number') })
    .int({ error: 'count must be an integer' })
    .min(0, { error: 'count must be >= 0' })
    .max(1_000_000, { error: 'count must be <= 1000000' }),
});

export const productBodySchema = z.object({
  product_code: z.string({ error: required('product_code', 'a string') }),
  assigned: z.array(z.string()).optional(),
  available: z.array(z.string()).optional(),
});

export const tokenTtlBodySchema = z.object({
  seconds: z.number().int().positive(),
});

const faultTarget = z.enum(['release', 'auth', 'any']);

export const faultActionSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('status'),
    status: z.number().int().min(200).max(599),
    body: z.string().optional(),
    contentType: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.object({
    type: z.literal('retry-after'),
    status: z.union([z.literal(429), z.literal(503)]),
    retryAfter: z.union([z.string().min(1), z.number().int().min(0)]),
  }),
  z.object({ type: z.literal('delay'), ms: z.number().int().min(0).max(600_000) }),
  z.object({ type: z.literal('destroy-before') }),
  z.object({ type: z.literal('destroy-after') }),
  z.object({ type: z.literal('not-json-200'), body: z.string().optional() }),
  z.object({ type: z.literal('hang') }),
], { error: 'action.type must be one of status, retry-after, delay, destroy-before, destroy-after, not-json-200, hang' });

/** Infinity cannot travel in JSON: the control endpoint also takes "Infinity" or -1.
 *  (zod 4's z.number() refuses Infinity, hence the custom check.) */
const times = z.union([
  z.number().int({ error: 'times must be an integer >= 1 or Infinity' }).min(1, { error: 'times must be an integer >= 1 or Infinity' }),
  z.custom<number>((v) => v === Infinity, { error: 'times must be an integer >= 1 or Infinity' }),
  z.literal('Infinity').transform(() => Infinity),
  z.literal(-1).transform(() => Infinity),
]);

export const faultRuleSchema = z.object({
  target: faultTarget.optional(),
  action: faultActionSchema,
  times: times.optional(),
});

export const randomFaultsSchema = z.object({
  rate: z.number().min(0).max(1),
  seed: z.number().int().optional(),
  target: faultTarget.optional(),
  actions: z.array(faultActionSchema).min(1).optional(),
});

// Compile-time checks that the schemas and the public types agree.
type Assert<T extends true> = T;
export type _ActionMatches = Assert<z.infer<typeof faultActionSchema> extends FaultAction ? true : false>;
export type _RuleMatches = Assert<z.infer<typeof faultRuleSchema> extends FaultRule ? true : false>;
export type _RandomMatches = Assert<z.infer<typeof randomFaultsSchema> extends RandomFaultOptions ? true : false>;
