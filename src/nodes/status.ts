/**
 * The one place that sets a release node's status. Texts come from the i18n catalogue. Updates
 * are coalesced (at most one every STATUS_INTERVAL_MS, the last one always shown) so a burst of
 * thousands of messages does not flood the editor's comms link.
 */
import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { ErrorKind } from '../api';

const STATUS_INTERVAL_MS = 200;
const NS = 'movilitas-release-serials.status';

export type StatusState =
  | { state: 'idle' }
  | { state: 'no-config' }
  | { state: 'config-error' }
  | { state: 'busy'; serials: number; waiting: number; retrying: boolean }
  | { state: 'released'; count: number }
  | { state: 'failed'; kind: ErrorKind };

export class StatusDisplay {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private pending: StatusState | undefined;

  constructor(
    private readonly node: Node,
    private readonly RED: NodeAPI,
  ) {}

  show(state: StatusState): void {
    this.pending = state;
    const now = Date.now();
    if (this.timer) return;
    const wait = this.last + STATUS_INTERVAL_MS - now;
    if (wait <= 0) {
      this.flush();
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
    }
  }

  /** Stops pending updates (on close). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    const state = this.pending;
    this.pending = undefined;
    if (!state) return;
    this.last = Date.now();
    this.node.status(this.render(state));
  }

  private render(s: StatusState): NodeStatus {
    const _ = this.RED._;
    switch (s.state) {
      case 'idle':
        return {};
      case 'no-config':
        return { fill: 'grey', shape: 'ring', text: _(`${NS}.no-config`) };
      case 'config-error':
        return { fill: 'red', shape: 'ring', text: _(`${NS}.config-error`) };
      case 'busy':
        if (s.retrying) return { fill: 'yellow', shape: 'ring', text: _(`${NS}.retrying`) };
        return {
          fill: 'blue',
          shape: 'dot',
          text:
            s.waiting > 0
              ? _(`${NS}.queued`, { count: s.serials, waiting: s.waiting })
              : _(`${NS}.releasing`, { count: s.serials }),
        };
      case 'released':
        return { fill: 'green', shape: 'dot', text: _(`${NS}.released`, { count: s.count }) };
      case 'failed':
        return { fill: 'red', shape: 'ring', text: _(`${NS}.failed.${s.kind}`) };
    }
  }
}
