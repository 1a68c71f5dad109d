// The helper ships no types; this is the part the tests use.
declare module 'node-red-node-test-helper' {
  import type { Node } from 'node-red';
  interface AdminResponse {
    status: number;
    text: string;
    body: any;
    headers: Record<string, string>;
  }
  interface AdminTest extends PromiseLike<AdminResponse> {
    send(body: unknown): AdminTest;
    set(name: string, value: string): AdminTest;
  }
  interface AdminAgent {
    get(path: string): AdminTest;
    post(path: string): AdminTest;
  }
  const helper: {
    init(runtimePath: string, settings?: Record<string, unknown>): void;
    load(nodes: unknown[], flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
    unload(): Promise<void>;
    getNode(id: string): Node;
    settings(settings: Record<string, unknown>): Record<string, unknown>;
    startServer(): Promise<void>;
    stopServer(): Promise<void>;
    /** A supertest agent on the admin app (RED.httpAdmin). */
    request(): AdminAgent;
    log(): { args: unknown[][] } & Record<string, unknown>;
    /** A deploy through the runtime, as the editor does ("full" stops and starts every node). */
    setFlows(flow: unknown[], type?: 'full' | 'flows' | 'nodes', credentials?: Record<string, unknown>): Promise<void>;
    /** Internal: the runtime's nodes module (getFlows() is what the flow file would hold). */
    _redNodes: { getFlows(): { flows: Array<Record<string, unknown>>; rev?: string } };
    /** Internal: the sinon sandbox of the spies (their call history grows with every call). */
    _sandbox: { resetHistory(): void };
  };
  export = helper;
}
