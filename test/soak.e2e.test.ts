/**
 * Soak under faults (issue 6): a stream of messages through a deployed flow, against the
 * simulator under random transient faults, tokens that live 3 s, a simulator restart, a token
 * revocation and a redeploy with messages in flight (test/support/soak.ts says what and how).
 *
 * `npm test` runs the short form (about 3,000 messages in 6 s of sending, plus the redeploy's 5 s
 * close grace); `npm run soak` sets SOAK=full for about 20,000 messages in about a minute.
 * SOAK_MESSAGES, SOAK_SECONDS and SOAK_SEED change the size, the duration and the seed.
 * Nothing here asserts timing.
 */
import assert from 'node:assert/strict';
import { formatReport, FULL_SOAK, runSoak, SHORT_SOAK, type SoakOptions } from './support/soak';

function fromEnvironment(): SoakOptions {
  const base = process.env.SOAK === 'full' ? FULL_SOAK : SHORT_SOAK;
  const int = (name: string): number | undefined => {
    const text = process.env[name];
    if (text === undefined || text === '') return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${text}`);
    return n;
  };
  const messages = int('SOAK_MESSAGES') ?? base.messages;
  const seconds = int('SOAK_SECONDS');
  return {
    ...base,
    messages,
    warmup: Math.max(1, Math.round(messages / 10)),
    durationMs: seconds !== undefined ? seconds * 1000 : Math.round((base.durationMs * messages) / base.messages),
    seed: int('SOAK_SEED') ?? base.seed,
  };
}

describe('soak under faults', () => {
  const opts = fromEnvironment();

  it(`${opts.messages.toLocaleString('en')} messages in about ${Math.round(opts.durationMs / 1000)} s: faults, 3 s tokens, a simulator restart, a redeploy; each ends once, nothing leaks`, async function () {
    // Generous: a loaded machine only makes the run slower, and a stall is reported, not waited out.
    this.timeout(opts.durationMs * 4 + 120_000);
    const r = await runSoak({ ...opts, log: (line) => console.log(`      ${line}`) });
    console.log(formatReport(r).replace(/^/gm, '      '));

    assert.deepEqual(r.violations, [], `${r.violationCount} violation(s)`);
    assert.equal(r.lost, 0, 'messages that never ended');
    assert.equal(r.sent, opts.messages);
    assert.equal(r.released + r.failed, r.sent, 'released + failed (cancelled included) = sent');
    assert.ok(r.cancelled > 0, 'the redeploy cancelled the calls still running after its grace');
    assert.ok(r.faultsInjected > 0 && r.authCalls > 2, `faults ${r.faultsInjected}, auth calls ${r.authCalls}`);
    assert.ok(r.attemptsNotLogged > 0, 'attempts were refused while the simulator was down');
    assert.deepEqual(r.unhandledRejections, []);
    assert.deepEqual(r.processWarnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), [], 'no listener leak');
    assert.deepEqual(r.nodeLogs, [], 'the release node logged no error or warning');
    // Both ways: a heap that shrank by a fifth means the start was measured wrong, which would hide a leak.
    assert.ok(
      Math.abs(r.heapEndBytes / r.heapStartBytes - 1) <= 0.2,
      `heap went from ${r.heapStartBytes} to ${r.heapEndBytes} bytes (${((r.heapEndBytes / r.heapStartBytes - 1) * 100).toFixed(1)}%)`,
    );
  });
});
