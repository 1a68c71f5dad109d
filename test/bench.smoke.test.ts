/**
 * `npm run bench` is not part of the suite (it takes minutes and judges speed). This runs it
 * once at tiny sizes, in its own process as `npm run bench` does, so the benchmark keeps
 * working: every contender releases every message, and the counts it reports are the ones
 * the scenarios imply. No timing is asserted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Run {
  ok: number;
  failed: number;
  requests: number;
}
interface Contender {
  name: string;
  runs: Run[];
}

describe('benchmark smoke run (npm run bench -- --smoke)', function () {
  this.timeout(180_000);
  let report: {
    results: Record<string, Record<string, unknown>>;
    floors: Array<{ name: string; measured: string }>;
  };
  let stdout = '';

  before(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const json = path.join(dir, 'results.json');
    const tsx = require.resolve('tsx/cli');
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, [tsx, 'bench/index.ts', '--smoke', '--out', '-', '--json', json], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => {
        if (c !== 0) process.stderr.write(stderr);
        resolve(c);
      });
    });
    assert.equal(code, 0, 'the smoke run exits 0');
    report = JSON.parse(fs.readFileSync(json, 'utf8'));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const contender = (scenario: string, key: string) => report.results[scenario]![key] as Contender;

  it('sequential: every contender released each of the 200 messages with one request each', () => {
    for (const key of ['release', 'undici', 'core']) {
      const run = contender('sequential', key).runs[0]!;
      assert.deepEqual({ ok: run.ok, failed: run.failed, requests: run.requests }, { ok: 200, failed: 0, requests: 200 }, key);
    }
  });

  it('burst: coalescing sends the 300 messages in one request; the others send one each', () => {
    const expected: Record<string, number> = { coalesced: 1, plain: 300, core: 300 };
    for (const [key, requests] of Object.entries(expected)) {
      const run = contender('burst', key).runs[0]!;
      assert.deepEqual({ ok: run.ok, failed: run.failed, requests: run.requests }, { ok: 300, failed: 0, requests }, key);
    }
  });

  it('large list: 5,000 serials go out as five requests of 1,000, from the node and from the undici loop', () => {
    const node = contender('list', 'release').runs[0]!;
    const floor = contender('list', 'undici').runs[0]!;
    assert.deepEqual([node.ok, node.failed, node.requests], [1, 0, 5]);
    assert.deepEqual([floor.ok, floor.failed, floor.requests], [5, 0, 5]);
  });

  it('validation and load were measured, and every floor is reported (not judged)', () => {
    assert.equal(report.results.validation!.serials, 5_000);
    assert.ok((report.results.validation!.medianMs as number) > 0);
    assert.ok((report.results.load!.medianMs as number) > 0);
    assert.equal(report.floors.length, 8);
    assert.match(stdout, /smoke run: tiny sizes, floors not judged/);
  });
});
