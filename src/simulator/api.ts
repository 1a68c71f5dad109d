// The two API endpoints, as functions from a request to an answer (and a state change).
import type { IncomingHttpHeaders } from 'node:http';
import { CODE_BAD_TOKEN, CODE_NO_TOKEN, MSG } from './constants';
import { type Answer, isPlainObject, json, tryParseJson } from './http-util';
import { authBodySchema, releaseBodySchema, toDetails, type ValidationDetail } from './schemas';
import type { SerialStore } from './state';
import type { TokenAuthority } from './tokens';
import type { TokenField } from './types';

export interface ApiConfig {
  apiKey: string;
  apiSecret: string;
  tokenField: TokenField;
  channelKeys: ReadonlySet<string>;
  acceptUnknownSerials: boolean;
  maxSerialsPerRequest: number;
}

export interface ApiContext {
  config: ApiConfig;
  store: SerialStore;
  tokens: TokenAuthority;
}

export const answers = {
  noToken: () => json(401, { success: false, code: CODE_NO_TOKEN, message: MSG.noToken }),
  badToken: () => json(401, { success: false, code: CODE_BAD_TOKEN, message: MSG.badToken }),
  authRejected: () => json(401, { success: false, code: CODE_BAD_TOKEN, message: MSG.authRejected }),
  channel: () => json(400, { success: false, message: MSG.channel }),
  unparsable: () => json(400, { success: false, message: MSG.unparsable }),
  validation: (details: ValidationDetail[]) => json(422, { success: false, message: MSG.validation, details }),
  noProduct: () => json(404, { success: false, message: MSG.noProduct }),
  tooLarge: () => json(413, { success: false, message: MSG.tooLarge }),
  notFound: () => json(404, { success: false, message: MSG.notFound }),
  methodNotAllowed: (allow: string) => json(405, { success: false, message: MSG.methodNotAllowed }, { Allow: allow }),
};

/** The token from `x-access-token`, else from `Authorization: Bearer <t>`. */
export function tokenFrom(headers: IncomingHttpHeaders): string | undefined {
  const direct = headers['x-access-token'];
  if (typeof direct === 'string' && direct.trim() !== '') return direct.trim();
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : undefined;
}

function placeToken(field: TokenField, token: string): Record<string, unknown> {
  switch (field) {
    case 'data.token':
      return { data: { token } };
    case 'data.access_token':
      return { data: { access_token: token } };
    default:
      return { [field]: token };
  }
}

/** POST /v1/api_auth */
export function handleAuth(ctx: ApiContext, bodyText: string): Answer {
  const parsed = tryParseJson(bodyText);
  if (!parsed.ok || !isPlainObject(parsed.value)) return answers.unparsable();
  const shape = authBodySchema.safeParse(parsed.value);
  if (!shape.success) return answers.validation(toDetails(shape.error));
  const { api_key, api_secret } = shape.data;
  if (api_key !== ctx.config.apiKey || api_secret !== ctx.config.apiSecret) return answers.authRejected();
  const token = ctx.tokens.issue(api_key);
  return json(200, { success: true, message: MSG.authOk, ...placeToken(ctx.config.tokenField, token) });
}

/** POST /v1/manufacturer/v2/api/serials/release: the checks in the vendor's table order. */
export function handleRelease(ctx: ApiContext, headers: IncomingHttpHeaders, bodyText: string): Answer {
  const token = tokenFrom(headers);
  if (token === undefined) return answers.noToken();
  if (!ctx.tokens.accepts(token)) return answers.badToken();

  const channel = headers['x-channel-key'];
  if (typeof channel !== 'string' || !ctx.config.channelKeys.has(channel)) return answers.channel();

  const parsed = tryParseJson(bodyText);
  if (!parsed.ok || !isPlainObject(parsed.value)) return answers.unparsable();
  const serialsIn = parsed.value.serials;
  if (Array.isArray(serialsIn) && serialsIn.length > ctx.config.maxSerialsPerRequest) return answers.tooLarge();

  const shape = releaseBodySchema.safeParse(parsed.value);
  if (!shape.success) return answers.validation(toDetails(shape.error));
  const { product_code, serials } = shape.data;

  if (!ctx.store.hasProduct(product_code)) return answers.noProduct();

  if (!ctx.config.acceptUnknownSerials) {
    const unknown = ctx.store.unknownSerials(product_code, serials);
    if (unknown.length > 0) {
      return answers.validation(
        unknown.map((i) => ({
          field: `serials[${i}]`,
          message: `Serial ${serials[i]} is not in the serial pool of product ${product_code}`,
          value: serials[i],
        })),
      );
    }
  }
  ctx.store.release(product_code, serials);
  return json(200, { success: true, message: MSG.released });
}
