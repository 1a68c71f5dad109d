/**
 * The simulator for the benchmark, behind one interface, in one of two places:
 *
 * - in the benchmark's process (the default, as the issue asks: one process run): the server's
 *   CPU time then falls on every contender alike;
 * - in a child process (`--sim-process`), as the real API runs on a machine of its own: each
 *   contender's time is then its own work plus the wire, and the server works in parallel on
 *   the other core. This shows what the node's own work costs where the server is not the
 *   bottleneck (see the README for the ratios it gives).
 *
 * The child runs the built simulator (nodes/lib/simulator, as shipped), prints one JSON line
 * with its URL and credentials, and exits when its stdin closes, so it never outlives the bench.
 * Request counts come from its control endpoint GET /_sim/state, which it does not count.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Agent, request } from 'undici';
import { startSimulator, type SimulatorOptions } from '../src/simulator';
import { ROOT } from './runtime';

export interface BenchSimulator {
  url: string;
  /** A static token the simulator accepts (its default static token). */
  token: string;
  channelKey: string;
  /** HTTP requests the simulator has handled so far (control requests not counted). */
  requestsTotal(): Promise<number>;
  close(): Promise<void>;
}

/** Runs in the child: plain JavaScript, so the child needs no TypeScript loader. */
const CHILD = `
const { startSimulator } = require(process.argv[1]);
const options = JSON.parse(process.argv[2]);
startSimulator(options).then((sim) => {
  process.stdout.write(JSON.stringify({ url: sim.url, token: sim.issueToken(), channelKey: sim.credentials.channelKey }) + '\\n');
  process.stdin.on('end', () => sim.close().then(() => process.exit(0)));
  process.stdin.resume();
}, (err) => { console.error(err); process.exit(1); });
`;

/** The simulator in this process. */
export async function startSimulatorHere(options: SimulatorOptions): Promise<BenchSimulator> {
  const sim = await startSimulator(options);
  return {
    url: sim.url,
    token: sim.issueToken(),
    channelKey: sim.credentials.channelKey!,
    requestsTotal: () => Promise.resolve(sim.state().requestsTotal),
    close: () => sim.close(),
  };
}

/** The simulator in a child process. */
export function startSimulatorProcess(options: SimulatorOptions): Promise<BenchSimulator> {
  const entry = path.join(ROOT, 'nodes', 'lib', 'simulator');
  const child = spawn(process.execPath, ['-e', CHILD, entry, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null) => reject(new Error(`the simulator process exited (${code}) before it started`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline < 0) return;
      child.off('exit', onExit);
      child.stdout.removeAllListeners('data');
      const info = JSON.parse(out.slice(0, newline)) as { url: string; token: string; channelKey: string };
      // Its own small pool: the control calls must not share connections with a contender.
      const control = new Agent({ connections: 1 });
      resolve({
        ...info,
        async requestsTotal() {
          const res = await request(`${info.url}/_sim/state`, { dispatcher: control });
          return ((await res.body.json()) as { requestsTotal: number }).requestsTotal;
        },
        async close() {
          await control.close();
          child.stdin.end();
          await exited;
        },
      });
    });
  });
}
