// The helper ships no types; this is the part the tests use.
declare module 'node-red-node-test-helper' {
  import type { Node } from 'node-red';
  const helper: {
    init(runtimePath: string, settings?: Record<string, unknown>): void;
    load(nodes: unknown[], flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): Node;
    settings(settings: Record<string, unknown>): Record<string, unknown>;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    log(): { args: unknown[][] } & Record<string, unknown>;
  };
  export = helper;
}
