/** The plain TypeScript API client: usable without Node-RED. */
export * from './errors';
export * from './gs1';
export * from './payload';
export * from './classify';
export * from './token';
export * from './settings';
export * from './transport';
export * from './cancel';
export * from './limiter';
export * from './retry';
export * from './client';
export * from './coalescer';
export * from './check';
export * from './redact';
