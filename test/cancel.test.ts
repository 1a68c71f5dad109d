import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { Cancel, onAbort } from '../src/api/cancel';
import { Limiter } from '../src/api/limiter';
import { sleep } from '../src/api/retry';

describe('cancellation (cancel.ts)', () => {
  it('a Cancel aborts once, with its reason, and calls each listener once', () => {
    const c = new Cancel();
    const calls: string[] = [];
    c.addEventListener('abort', () => calls.push('a'));
    const b = () => calls.push('b');
    c.addEventListener('abort', b);
    c.removeEventListener('abort', b);
    c.abort('first');
    c.abort('second');
    assert.equal(c.aborted, true);
    assert.equal(c.reason, 'first');
    assert.deepEqual(calls, ['a']);
  });

  it('follow() takes the source reason, at once if the source aborted already, and unlinks', () => {
    const source = new Cancel();
    const child = new Cancel();
    const unlink = child.follow(source);
    source.abort('closing');
    assert.equal(child.reason, 'closing');

    const done = new Cancel();
    done.abort('gone');
    const late = new Cancel();
    late.follow(done);
    assert.equal(late.reason, 'gone');

    const s2 = new Cancel();
    const c2 = new Cancel();
    c2.follow(s2)();
    s2.abort('x');
    assert.equal(c2.aborted, false, 'unlinked before the abort');
    unlink();
  });

  it('onAbort: 10,000 watchers of one AbortSignal add one listener to it, and all hear the abort', () => {
    const controller = new AbortController();
    const heard: unknown[] = [];
    const unsubscribe = [];
    for (let i = 0; i < 10_000; i++) unsubscribe.push(onAbort(controller.signal, (r) => heard.push(r)));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    unsubscribe[0]!();
    controller.abort('stop');
    assert.equal(heard.length, 9_999);
    assert.ok(heard.every((r) => r === 'stop'));
    const after: unknown[] = [];
    onAbort(controller.signal, (r) => after.push(r));
    assert.deepEqual(after, ['stop'], 'a watcher of an aborted signal is told at once');
  });

  it('the limiter and the backoff sleep stop on a Cancel', async () => {
    const limiter = new Limiter(1);
    let release!: () => void;
    const busy = limiter.run(() => new Promise<void>((r) => (release = r)));
    const c = new Cancel();
    const waiting = limiter.run(async () => 'ran', c);
    const slept = sleep(60_000, c);
    c.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
    await assert.rejects(slept, /cancelled/);
    release();
    await busy;
  });
});
