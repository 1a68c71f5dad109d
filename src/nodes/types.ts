/** Shapes shared by the two runtime nodes. */
import type { Node, NodeDef } from 'node-red';
import type { MovilitasClient, MovilitasError } from '../api';

export interface ConfigNodeDef extends NodeDef {
  environment?: string;
  baseUrl?: string;
  authMode?: string;
  tokenHeader?: string;
  timeout?: number | string;
  retries?: number | string;
  concurrency?: number | string;
  tls?: string;
  proxy?: string;
}

export interface ConfigCredentials {
  apiKey?: string;
  apiSecret?: string;
  token?: string;
  channelKey?: string;
}

/** What a release node gets from its config node: a client, or why there is none. */
export type Connection = { ok: true; client: MovilitasClient } | { ok: false; error: MovilitasError };

export interface ConfigNode extends Node<ConfigCredentials> {
  connection: Connection;
  /** The API base URL as deployed (undefined when the environment or URL is unusable). */
  baseUrl?: string;
}

export interface ReleaseNodeDef extends NodeDef {
  config?: string;
  productCode?: string;
  productCodeType?: string;
  verifyCheckDigit?: boolean;
  validateSerials?: boolean;
  maxSerialsPerRequest?: number | string;
  coalesceMs?: number | string;
  reportToCatch?: boolean;
}
