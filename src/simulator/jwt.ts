// Minimal HS256 JSON Web Tokens (sign and verify) on node:crypto.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenPayload {
  key: string;
  _id: string;
  iat: number;
  exp: number;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function hmac(secret: Buffer, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function signJwt(payload: TokenPayload, secret: Buffer): string {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${hmac(secret, body).toString('base64url')}`;
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The payload when the signature is right and `exp` is in the future; otherwise undefined. */
export function verifyJwt(token: string, secret: Buffer, nowMs: number): TokenPayload | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const header = decodeJson(h);
  if (!isRecord(header) || header.alg !== 'HS256') return undefined;
  const expected = hmac(secret, `${h}.${p}`);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const payload = decodeJson(p);
  if (!isRecord(payload)) return undefined;
  const { key, _id, iat, exp } = payload;
  if (typeof key !== 'string' || typeof _id !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
    return undefined;
  }
  if (exp * 1000 <= nowMs) return undefined;
  return { key, _id, iat, exp };
}
