// The request log: a bounded list, oldest first.
import type { IncomingHttpHeaders } from 'node:http';
import type { RecordedRequest } from './types';

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export class RequestLog {
  private entries: RecordedRequest[] = [];
  private nextId = 1;
  total = 0;

  constructor(private readonly limit: number) {}

  record(entry: Omit<RecordedRequest, 'id'>): RecordedRequest {
    const full: RecordedRequest = { id: this.nextId++, ...entry };
    this.total++;
    if (this.limit > 0) {
      this.entries.push(full);
      // Drop in batches so a full log does not shift the whole array on every request.
      if (this.entries.length > this.limit + Math.max(1, Math.floor(this.limit / 10))) {
        this.entries = this.entries.slice(this.entries.length - this.limit);
      }
    }
    return full;
  }

  list(): RecordedRequest[] {
    const n = this.entries.length;
    return n > this.limit ? this.entries.slice(n - this.limit) : this.entries.slice();
  }

  /** The newest `n` entries, oldest first. */
  last(n: number): RecordedRequest[] {
    const all = this.list();
    return n >= all.length ? all : all.slice(all.length - n);
  }

  get size(): number {
    return Math.min(this.entries.length, this.limit);
  }

  clear(): void {
    this.entries = [];
  }
}
