// Control endpoints under /_sim (for the CLI, the demo and scripts; never logged).
// They never expose the token-signing secret: tokens are issued programmatically only.
import { answers } from './api';
import { type Answer, isPlainObject, json, tryParseJson } from './http-util';
import { assignBodySchema, faultRuleSchema, productBodySchema, randomFaultsSchema, toDetails, tokenTtlBodySchema } from './schemas';
import type { Simulator } from './types';

type ControlHost = Pick<
  Simulator,
  'state' | 'assign' | 'addProduct' | 'reset' | 'faults' | 'revokeTokens' | 'setTokenTtl' | 'clearLog' | 'requests'
>;

const ROUTES: Record<string, string[]> = {
  '/_sim/state': ['GET'],
  '/_sim/log': ['GET', 'DELETE'],
  '/_sim/assign': ['POST'],
  '/_sim/products': ['POST'],
  '/_sim/reset': ['POST'],
  '/_sim/faults': ['POST', 'DELETE'],
  '/_sim/revoke-tokens': ['POST'],
  '/_sim/token-ttl': ['POST'],
};

const ok = (extra: Record<string, unknown> = {}) => json(200, { success: true, ...extra });

/** An object body, or an empty body read as {}; undefined when it cannot be parsed. */
function objectBody(text: string): Record<string, unknown> | undefined {
  if (text.trim() === '') return {};
  const parsed = tryParseJson(text);
  return parsed.ok && isPlainObject(parsed.value) ? parsed.value : undefined;
}

export function handleControl(sim: ControlHost, method: string, pathname: string, query: URLSearchParams, bodyText: string): Answer {
  const allowed = ROUTES[pathname];
  if (!allowed) return answers.notFound();
  if (!allowed.includes(method)) return answers.methodNotAllowed(allowed.join(', '));
  const body = objectBody(bodyText);
  if (body === undefined) return answers.unparsable();
  try {
    return dispatch(sim, `${method} ${pathname}`, query, body);
  } catch (err) {
    // The simulator refused a value (a bad product code, a bad TTL): the caller's fault.
    return answers.validation([{ field: '(body)', message: (err as Error).message }]);
  }
}

function dispatch(sim: ControlHost, route: string, query: URLSearchParams, body: Record<string, unknown>): Answer {
  switch (route) {
    case 'GET /_sim/state':
      return json(200, sim.state());
    case 'GET /_sim/log': {
      const all = sim.requests;
      const limitText = query.get('limit');
      const limit = limitText === null ? 100 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 0) {
        return answers.validation([{ field: 'limit', message: 'limit must be an integer >= 0' }]);
      }
      return json(200, { size: all.length, requests: limit >= all.length ? all : all.slice(all.length - limit) });
    }
    case 'DELETE /_sim/log':
      sim.clearLog();
      return ok();
    case 'POST /_sim/assign': {
      const shape = assignBodySchema.safeParse(body);
      if (!shape.success) return answers.validation(toDetails(shape.error));
      if (sim.state().products[shape.data.product_code] === undefined) return answers.noProduct();
      return ok({ serials: sim.assign(shape.data.product_code, shape.data.count) });
    }
    case 'POST /_sim/products': {
      const shape = productBodySchema.safeParse(body);
      if (!shape.success) return answers.validation(toDetails(shape.error));
      const { product_code, assigned, available } = shape.data;
      sim.addProduct(product_code, { assigned: assigned ?? [], available: available ?? [] });
      return ok();
    }
    case 'POST /_sim/reset':
      sim.reset();
      return ok();
    case 'POST /_sim/faults': {
      // The body is a rule, {"random": {...}} or {"authDown": boolean}.
      if ('random' in body) {
        const shape = randomFaultsSchema.safeParse(body.random);
        if (!shape.success) return answers.validation(toDetails(shape.error, 'random'));
        sim.faults.random(shape.data);
      } else if ('authDown' in body) {
        if (typeof body.authDown !== 'boolean') return answers.validation([{ field: 'authDown', message: 'authDown must be a boolean' }]);
        sim.faults.authDown(body.authDown);
      } else {
        const shape = faultRuleSchema.safeParse(body);
        if (!shape.success) return answers.validation(toDetails(shape.error));
        sim.faults.add(shape.data);
      }
      return ok({ faults: sim.state().faults });
    }
    case 'DELETE /_sim/faults':
      sim.faults.clear();
      return ok({ faults: sim.state().faults });
    case 'POST /_sim/revoke-tokens':
      sim.revokeTokens();
      return ok();
    case 'POST /_sim/token-ttl': {
      const shape = tokenTtlBodySchema.safeParse(body);
      if (!shape.success) return answers.validation(toDetails(shape.error));
      sim.setTokenTtl(shape.data.seconds);
      return ok();
    }
    default:
      return answers.notFound();
  }
}
