// Small helpers over node:http for reading bodies and writing answers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_CONTENT_TYPE } from './constants';

export interface ReadBody {
  text: string;
  /** The body was larger than the limit; `text` holds its first `limit` bytes. */
  tooLarge: boolean;
}

/** Reads the whole body (beyond `limit` bytes it is drained and dropped). Rejects when the
 *  client goes away before the end. */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    let ended = false;
    req.on('end', () => {
      ended = true;
      resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge });
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!ended) reject(new Error('request closed before its end'));
    });
  });
}

export interface Answer {
  status: number;
  /** A JSON value (sent as application/json), or `text` with `contentType`. */
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return headers ? { status, json: body, headers } : { status, json: body };
}

export function send(res: ServerResponse, answer: Answer): void {
  const body = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.text ?? '');
  const type = answer.json !== undefined ? JSON_CONTENT_TYPE : (answer.contentType ?? 'text/plain; charset=utf-8');
  res.statusCode = answer.status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
  res.end(body);
}

/** A guess at the content type of a fault body given without one. */
export function sniffContentType(body: string): string {
  const t = body.trimStart();
  if (t.startsWith('<')) return 'text/html; charset=utf-8';
  try {
    JSON.parse(t);
    return JSON_CONTENT_TYPE;
  } catch {
    return 'text/plain; charset=utf-8';
  }
}

export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
