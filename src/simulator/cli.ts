#!/usr/bin/env node
// movilitas-simulator: runs the Movilitas API simulator until Ctrl+C.
import { parseArgs } from 'node:util';
import { AUTH_PATH, CONTROL_PREFIX, RELEASE_PATH } from './constants';
import { startSimulator } from './server';
import { TOKEN_FIELDS, type SimulatorOptions, type TokenField } from './types';

const HELP = `Usage: movilitas-simulator [options]

A local, stateful simulator of the Movilitas.Cloud Manufacturer V2 API
(POST ${AUTH_PATH}, POST ${RELEASE_PATH}).

Options:
  --port N                   port to listen on (default 8484; 0 = any free port)
  --host H                   interface to listen on (default 127.0.0.1)
  --token-ttl S              lifetime of dynamic tokens in seconds (default 86400)
  --token-field F            where ${AUTH_PATH} puts the token: ${TOKEN_FIELDS.join(', ')} (default token)
  --accept-unknown-serials   create unknown serials as Available instead of a "Validation error"
  --fault-rate R             inject random transient faults into this share of requests (0..1)
  --fault-seed N             seed of the random faults (default: random, printed)
  --quiet                    do not print one line per request
  --help                     show this help

Control endpoints (not logged): GET ${CONTROL_PREFIX}/state, GET|DELETE ${CONTROL_PREFIX}/log (GET ?limit=N),
POST ${CONTROL_PREFIX}/assign {"product_code","count"}, POST ${CONTROL_PREFIX}/products {"product_code"},
POST ${CONTROL_PREFIX}/reset, POST|DELETE ${CONTROL_PREFIX}/faults, POST ${CONTROL_PREFIX}/revoke-tokens,
POST ${CONTROL_PREFIX}/token-ttl {"seconds"}.
`;

class UsageError extends Error {}

function intFlag(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${text}"`);
  return n;
}

interface CliConfig {
  help: boolean;
  options: SimulatorOptions;
  faultRate: number | undefined;
  faultSeed: number | undefined;
}

export function parseCli(argv: string[]): CliConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'token-ttl': { type: 'string' },
        'token-field': { type: 'string' },
        'accept-unknown-serials': { type: 'boolean' },
        'fault-rate': { type: 'string' },
        'fault-seed': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const port = intFlag('port', values.port, 0) ?? 8484;
  if (port > 65535) throw new UsageError(`--port must be <= 65535, got ${port}`);
  const field = values['token-field'];
  if (field !== undefined && !(TOKEN_FIELDS as readonly string[]).includes(field)) {
    throw new UsageError(`--token-field must be one of ${TOKEN_FIELDS.join(', ')}, got "${field}"`);
  }
  let faultRate: number | undefined;
  if (values['fault-rate'] !== undefined) {
    faultRate = Number(values['fault-rate']);
    if (values['fault-rate'].trim() === '' || !(faultRate >= 0 && faultRate <= 1)) {
      throw new UsageError(`--fault-rate must be a number from 0 to 1, got "${values['fault-rate']}"`);
    }
  }
  const options: SimulatorOptions = {
    port,
    host: values.host ?? '127.0.0.1',
    acceptUnknownSerials: values['accept-unknown-serials'] ?? false,
    quiet: values.quiet ?? false,
  };
  const ttl = intFlag('token-ttl', values['token-ttl'], 1);
  if (ttl !== undefined) options.tokenTtlSeconds = ttl;
  if (field !== undefined) options.tokenField = field as TokenField;
  return { help: values.help ?? false, options, faultRate, faultSeed: intFlag('fault-seed', values['fault-seed'], 0) };
}

async function main(): Promise<void> {
  let cfg: CliConfig;
  try {
    cfg = parseCli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`movilitas-simulator: ${err.message}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  if (cfg.help) {
    process.stdout.write(HELP);
    return;
  }
  const sim = await startSimulator(cfg.options);
  const c = sim.credentials;
  const lines = [
    `Movilitas API simulator listening on ${sim.url}`,
    '',
    'Simulator-only demo credentials:',
    `  base URL      ${sim.url}   (movilitas-config: environment "custom")`,
    `  API key       ${c.apiKey}`,
    `  API secret    ${c.apiSecret}`,
    `  static token  ${c.staticToken ?? '(none)'}`,
    `  channel key   ${c.channelKey ?? '(none)'}`,
    '',
    `Token TTL ${sim.state().tokenTtlSeconds} s, token field "${cfg.options.tokenField ?? 'token'}", ` +
      `unknown serials ${cfg.options.acceptUnknownSerials ? 'accepted' : 'rejected'}.`,
    'Products (serial pools):',
  ];
  for (const [code, n] of Object.entries(sim.state().products)) {
    lines.push(`  ${code}  ${n.assigned} Assigned, ${n.available} Available`);
  }
  if (cfg.faultRate !== undefined && cfg.faultRate > 0) {
    sim.faults.random({ rate: cfg.faultRate, ...(cfg.faultSeed !== undefined ? { seed: cfg.faultSeed } : {}) });
    const r = sim.state().faults.random;
    lines.push(`Random faults: rate ${cfg.faultRate}, seed ${r?.seed}.`);
  }
  lines.push(`Assign serials: curl -s -X POST ${sim.url}${CONTROL_PREFIX}/assign -d '{"product_code":"<code>","count":5}'`);
  lines.push('Press Ctrl+C to stop.', '');
  process.stdout.write(lines.join('\n') + '\n');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: closing the simulator\n`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`movilitas-simulator: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  });
}
