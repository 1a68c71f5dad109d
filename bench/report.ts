/** Turns the scenario results into floors (PASS / FAIL) and one Markdown report. */
import os from 'node:os';
import {
  BurstResult,
  ContenderRuns,
  ListResult,
  LoadResult,
  medianMs,
  ratio,
  SequentialResult,
  ValidationResult,
} from './scenarios';
import { fmt, fmtInt, MB, median } from './stats';

export interface Results {
  sequential?: SequentialResult;
  burst?: BurstResult;
  list?: ListResult;
  validation?: ValidationResult;
  load?: LoadResult;
}

export interface Floor {
  name: string;
  measured: string;
  limit: string;
  pass: boolean;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  nodeRed: string;
  undici: string;
}

export function machine(nodeRed: string, undici: string): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    nodeRed,
    undici,
  };
}

const peak = (c: { runs: Array<{ memory: { rss: number; heapUsed: number } }> }, key: 'rss' | 'heapUsed') =>
  Math.max(...c.runs.map((r) => r.memory[key]));

export function floors(r: Results): Floor[] {
  const out: Floor[] = [];
  if (r.sequential) {
    const toUndici = ratio(r.sequential.release, r.sequential.undici);
    const toCore = ratio(r.sequential.release, r.sequential.core);
    out.push(
      { name: 'Sequential: release node / undici floor', measured: `${fmt(toUndici)}x`, limit: '<= 1.5x', pass: toUndici <= 1.5 },
      { name: 'Sequential: release node / core http request', measured: `${fmt(toCore)}x`, limit: '<= 0.6x', pass: toCore <= 0.6 },
    );
  }
  if (r.burst) {
    const faster = ratio(r.burst.core, r.burst.coalesced);
    const requests = Math.max(...r.burst.coalesced.runs.map((x) => x.requests));
    out.push(
      { name: 'Burst: core http request / coalesced release node (times faster)', measured: `${fmt(faster, 1)}x`, limit: '>= 10x', pass: faster >= 10 },
      { name: `Burst: HTTP requests for ${fmtInt(r.burst.messages)} msgs, coalesced (most in a round)`, measured: fmtInt(requests), limit: '<= 15', pass: requests <= 15 },
    );
  }
  if (r.list) {
    const toUndici = ratio(r.list.release, r.list.undici);
    const rss = peak(r.list.release, 'rss') / MB;
    out.push(
      { name: 'Large list: release node / undici floor', measured: `${fmt(toUndici)}x`, limit: '<= 1.3x', pass: toUndici <= 1.3 },
      { name: 'Large list: peak rss growth, release node', measured: `${fmt(rss, 1)} MB`, limit: '<= 100 MB', pass: rss <= 100 },
    );
  }
  if (r.validation) {
    const ms = r.validation.medianMs;
    out.push({ name: `Validation of ${fmtInt(r.validation.serials)} serials (median)`, measured: `${fmt(ms, 1)} ms`, limit: '<= 50 ms', pass: ms <= 50 });
  }
  if (r.load) {
    const ms = r.load.medianMs;
    out.push({ name: 'Load into a running Node-RED (median)', measured: `${fmt(ms, 1)} ms`, limit: '<= 300 ms', pass: ms <= 300 });
  }
  return out;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const spread = (c: ContenderRuns, per = 1) => {
  const ms = c.runs.map((r) => r.ms / per);
  return `${fmt(Math.min(...ms), per > 1 ? 3 : 0)} – ${fmt(Math.max(...ms), per > 1 ? 3 : 0)}`;
};

export interface ReportOptions {
  /** The simulator ran in a child process (--sim-process), not in the benchmark's process. */
  simProcess: boolean;
  command: string;
  smoke: boolean;
  started: Date;
  durationS: number;
}

export function markdown(m: Machine, r: Results, fl: Floor[], opts: ReportOptions): string {
  const parts: string[] = [];
  parts.push('# Benchmark results', '');
  parts.push(
    `Measured with \`${opts.command}\` on ${opts.started.toISOString().slice(0, 16).replace('T', ' ')} UTC ` +
      `(${fmt(opts.durationS, 0)} s)${opts.smoke ? ', **smoke run: tiny sizes, floors not judged**' : ''}.`,
    '',
  );
  parts.push(
    table(
      ['machine', ''],
      [
        ['CPU', m.cpu],
        ['cores', String(m.cores)],
        ['memory', `${fmt(m.memoryGiB, 1)} GiB`],
        ['OS', m.os],
        ['Node.js', m.node],
        ['Node-RED', m.nodeRed],
        ['undici', m.undici],
      ],
    ),
    '',
  );
  if (fl.length > 0) {
    parts.push('## Floors', '');
    parts.push(table(['floor', 'measured', 'limit', 'result'], fl.map((f) => [f.name, f.measured, f.limit, opts.smoke ? 'not judged' : f.pass ? 'PASS' : 'FAIL'])), '');
  }

  if (r.sequential) {
    const s = r.sequential;
    parts.push(`## 1. Sequential: ${fmtInt(s.messages)} single-serial messages, each after the previous one finished`, '');
    const rows = [s.release, s.undici, s.core].map((c) => [
      c.name,
      fmt(medianMs(c) / s.messages, 3),
      spread(c, s.messages),
      fmt(ratio(s.release, c)),
    ]);
    parts.push(table(['contender', 'ms per message (median)', 'range over rounds', 'release node / this'], rows), '');
    parts.push(
      `Median of ${s.rounds} rounds. In each round the contenders take turns in blocks of ${s.block} messages (rotated ` +
        'order), so noise on a shared machine falls on all of them alike; ratios are the median of the per-round ratios.',
      '',
    );
  }

  if (r.burst) {
    const b = r.burst;
    parts.push(`## 2. Burst: ${fmtInt(b.messages)} single-serial messages injected at once`, '');
    const rows = [b.coalesced, b.plain, b.core].map((c) => [
      c.name,
      fmt(medianMs(c), 0),
      spread(c),
      fmtInt(median(c.runs.map((x) => x.requests))),
      fmtInt(c.runs.reduce((sum, x) => sum + x.failed, 0)),
      fmt(ratio(c, b.coalesced), 1),
    ]);
    parts.push(table(['contender', 'total ms (median)', 'range over rounds', 'HTTP requests', 'failed msgs (all rounds)', 'time / coalesced'], rows), '');
    parts.push(
      `Median of ${b.rounds} rounds. HTTP requests counted at the simulator. Each run starts on a fresh deploy (new nodes,`,
      'new connection pools; not timed). The core node opens a connection per message; with thousands at once a few may',
      'meet a full accept queue (ECONNRESET) and fail: they are counted, and (up to 1%) kept in its time, which they can',
      'only shorten.',
      '',
    );
  }

  if (r.list) {
    const l = r.list;
    parts.push(
      `## 3. Large list: one message with ${fmtInt(l.serials)} serials, ${fmtInt(l.chunk)} per request, ${l.concurrency} in flight`,
      '',
    );
    const rows = [l.release, l.undici].map((c) => [
      c.name,
      fmt(medianMs(c), 0),
      spread(c),
      fmt(ratio(c, l.undici)),
      fmt(peak(c, 'rss') / MB, 1),
      fmt(peak(c, 'heapUsed') / MB, 1),
    ]);
    parts.push(table(['contender', 'ms (median)', 'range over rounds', 'this / undici', 'peak rss growth MB', 'peak heapUsed growth MB'], rows), '');
    parts.push(
      `Median of ${l.rounds} rounds. Memory: \`process.memoryUsage()\` sampled every 2 ms during each run (after a full GC); ` +
        'growth = highest value seen minus the value at the start of the run, the largest over all rounds. ' +
        (opts.simProcess
          ? 'The floor uses rss (what the gateway sees: Node-RED and the node; the simulator runs in a process of its own).'
          : 'The floor uses rss (what the gateway sees; the simulator shares the process and its share is included).'),
      '',
    );
  }

  if (r.validation) {
    const v = r.validation;
    parts.push(`## 4. Validation: \`normaliseReleaseInput\` on ${fmtInt(v.serials)} valid 20-character serials`, '');
    parts.push(table(['median ms', 'min ms', 'max ms', 'runs'], [[fmt(v.medianMs, 1), fmt(v.minMs, 1), fmt(v.maxMs, 1), String(v.runs)]]), '');
  }

  if (r.load) {
    const l = r.load;
    parts.push('## 5. Load: the package added to a running Node-RED, cold module cache', '');
    parts.push(table(['median ms', 'min ms', 'max ms', 'fresh processes'], [[fmt(l.medianMs, 1), fmt(l.minMs, 1), fmt(l.maxMs, 1), String(l.runs)]]), '');
  }

  parts.push(
    '## How it is measured',
    '',
    ...(opts.simProcess
      ? [
          '- One run, two processes: the benchmark, with an embedded Node-RED (`require("node-red")`, no editor) that loads',
          '  this package from its built `nodes/` as an installed module next to the core nodes, and the undici floor; and the',
          '  simulator (the built `startSimulator`, `acceptUnknownSerials`, `logLimit` 100, quiet) on 127.0.0.1 in a child',
          '  process (`--sim-process`), as the API runs on a machine of its own: the server works in parallel on the other',
          '  core, so each contender\'s time is its own work plus the wire.',
        ]
      : [
          '- One process: the simulator (`startSimulator`, `acceptUnknownSerials`, `logLimit` 100, quiet) on 127.0.0.1 and an',
          '  embedded Node-RED (`require("node-red")`, no editor) that loads this package from its built `nodes/` as an',
          '  installed module, next to the core nodes; the server\'s CPU time falls on every contender alike',
          '  (`--sim-process` runs it in a child process instead).',
        ]),
    '  Every contender uses the same simulator and sends the same requests.',
    '- Messages go in with `node.receive()` and are counted in a sink node on each output; a run ends when every',
    '  message has come out. A run with a failed message stops the benchmark.',
    '- Core `http request` node: POST to the release URL, keep-alive on, parsed JSON answer; the headers',
    '  (content-type, x-access-token, x-channel-key) are set on the injected msg. The release node gets the same msg.',
    '- Release nodes: static token, concurrency 4, retries 3, 1,000 serials per request; each has its own config node.',
    '- undici floor: `request()` from undici on one keep-alive `Agent` (keepAliveTimeout 4 s, as the client), no Node-RED.',
    '- Validation: the built `normaliseReleaseInput`, after a warm-up, median of the runs.',
    '- Load: a fresh `node` process per run starts Node-RED without the package, links it into the user directory\'s',
    '  `node_modules` and times `@node-red/registry` `addModule()`: require of `nodes/*.js` (and of undici and zod),',
    '  registration of both types, and reading their editor files and message catalogues.',
    '',
  );
  return parts.join('\n');
}
