/**
 * One load measurement, in a fresh process (cold module cache) run by plain `node` (the bench
 * transpiles this file; no TypeScript hook is active while the package loads).
 *
 * It starts an embedded Node-RED without our package, then makes the package appear in the
 * user directory's node_modules (a symlink to the package root, as `npm install <dir>` makes)
 * and times Node-RED's own loader adding it to the running runtime:
 * `@node-red/registry` addModule(), which reads package.json, require()s the node files listed
 * under `node-red.nodes` (nodes/movilitas-config.js, nodes/movilitas-release-serials.js, and
 * with them undici and zod), calls their registration functions, and reads the editor files
 * and message catalogues. Prints one JSON line: {"ms": ..., "types": [...]}.
 *
 * argv[2]: the package root.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? '.');
  const req = createRequire(path.join(root, 'package.json'));
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    name: string;
    'node-red': { nodes: Record<string, string> };
  };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-load-'));
  try {
    const RED = req('node-red');
    RED.init({
      userDir,
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      telemetry: { enabled: false },
      logging: { console: { level: 'error', metrics: false, audit: false } },
    });
    const flowsStarted = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
    await RED.start();
    await flowsStarted;

    fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
    fs.symlinkSync(root, path.join(userDir, 'node_modules', pkg.name), 'dir');
    const registry = req('@node-red/registry');
    const types = Object.keys(pkg['node-red'].nodes);
    if (types.some((t) => RED.nodes.getType(t))) throw new Error('the package was loaded before the measurement');

    const started = performance.now();
    await registry.addModule(pkg.name);
    const ms = performance.now() - started;

    const missing = types.filter((t) => typeof RED.nodes.getType(t) !== 'function');
    if (missing.length > 0) throw new Error(`not registered after addModule: ${missing.join(', ')}`);
    process.stdout.write(`${JSON.stringify({ ms, types })}\n`);
    await RED.stop();
  } finally {
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
