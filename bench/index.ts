/**
 * `npm run bench`: the package against the undici floor and Node-RED's core `http request`
 * node, in one process, against the local simulator. Prints a report, writes bench/results.md,
 * and exits 1 when a floor fails (unless --no-fail).
 *
 *   --no-fail          report FAILs but exit 0
 *   --smoke            tiny sizes, floors not judged, no results.md unless --out is given
 *   --only a,b         run only these scenarios: sequential, burst, list, validation, load
 *   --out <file>       where to write the report (default bench/results.md; "-" for nowhere)
 *   --json <file>      also write the raw results and floors as JSON (the smoke test reads it)
 *   --sim-process      run the simulator in a child process instead of this one (bench/simulator.ts)
 *
 * Expects a fresh build in nodes/ (`npm run bench` builds first, through `prebench`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from 'undici';
import { benchFlow, Env, RELEASE_PATH } from './contenders';
import { floors, machine, markdown, Results } from './report';
import { ROOT, startRuntime } from './runtime';
import * as scenarios from './scenarios';
import { startSimulatorHere, startSimulatorProcess } from './simulator';
import { now } from './stats';

const SCENARIOS = ['validation', 'load', 'sequential', 'burst', 'list'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

interface Args {
  noFail: boolean;
  smoke: boolean;
  simProcess: boolean;
  only: Set<ScenarioName>;
  out: string | undefined;
  json: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { noFail: false, smoke: false, simProcess: false, only: new Set(SCENARIOS), out: undefined, json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-fail') args.noFail = true;
    else if (a === '--smoke') args.smoke = true;
    else if (a === '--sim-process') args.simProcess = true;
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes some of ${SCENARIOS.join(', ')}`);
      args.only = new Set(names as ScenarioName[]);
    } else if (a === '--out') args.out = argv[++i];
    else if (a === '--json') args.json = argv[++i];
    else throw new Error(`unknown argument ${a} (see bench/index.ts)`);
  }
  return args;
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const scale = args.smoke ? scenarios.SMOKE : scenarios.FULL;
  const startedAt = new Date();
  const t0 = now();
  const results: Results = {};
  const wants = (name: ScenarioName) => args.only.has(name);

  // In-process and child-process measurements first, while nothing else runs.
  if (wants('validation')) {
    log('validation');
    results.validation = await scenarios.validation(scale.validation);
  }
  if (wants('load')) {
    log('load (fresh processes)');
    results.load = await scenarios.load(scale.load);
  }

  const simOptions = { acceptUnknownSerials: true, logLimit: 100, quiet: true, backlog: 65_535 };
  const sim = args.simProcess ? await startSimulatorProcess(simOptions) : await startSimulatorHere(simOptions);
  const rt = await startRuntime();
  const env: Env = {
    sim,
    flow: benchFlow(sim, { coalesceMs: scale.burst.coalesceMs }),
    rt,
    url: `${sim.url}${RELEASE_PATH}`,
    headers: { 'content-type': 'application/json', 'x-access-token': sim.token, 'x-channel-key': sim.channelKey },
    agent: new Agent({ keepAliveTimeout: 4_000 }),
  };
  try {
    await rt.deploy(env.flow);
    if (wants('sequential')) {
      log(`sequential (${scale.sequential.messages} messages x ${scale.sequential.rounds} rounds)`);
      results.sequential = await scenarios.sequential(env, scale.sequential);
    }
    if (wants('burst')) {
      log(`burst (${scale.burst.messages} messages x ${scale.burst.rounds} rounds)`);
      results.burst = await scenarios.burst(env, scale.burst);
    }
    if (wants('list')) {
      log(`large list (${scale.list.serials} serials x ${scale.list.rounds} rounds)`);
      results.list = await scenarios.largeList(env, scale.list);
    }
  } finally {
    await rt.stop();
    await env.agent.close();
    await sim.close();
  }

  /* eslint-disable @typescript-eslint/no-require-imports */
  const m = machine(require('node-red/package.json').version, require('undici/package.json').version);
  const fl = floors(results);
  const flags = [args.smoke && '--smoke', args.simProcess && '--sim-process'].filter((f): f is string => typeof f === 'string');
  const report = markdown(m, results, fl, {
    command: ['npm run bench', ...(flags.length > 0 ? ['--', ...flags] : [])].join(' '),
    simProcess: args.simProcess,
    smoke: args.smoke,
    started: startedAt,
    durationS: (now() - t0) / 1000,
  });
  process.stdout.write(`${report}\n`);
  const defaultOut = path.join(ROOT, 'bench', args.simProcess ? 'results-sim-process.md' : 'results.md');
  const out = args.out ?? (args.smoke || args.only.size < SCENARIOS.length ? undefined : defaultOut);
  if (out && out !== '-') {
    fs.writeFileSync(out, report);
    log(`wrote ${path.relative(process.cwd(), out) || out}`);
  }
  if (args.json) fs.writeFileSync(args.json, JSON.stringify({ machine: m, results, floors: fl }, null, 2));
  if (args.smoke) return 0;
  const failed = fl.filter((f) => !f.pass);
  for (const f of fl) log(`${f.pass ? 'PASS' : 'FAIL'}  ${f.name}: ${f.measured} (${f.limit})`);
  if (failed.length > 0 && !args.noFail) {
    log(`${failed.length} floor(s) failed`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  },
);
