#!/usr/bin/env node
'use strict';
// `npm start`: the whole product on this machine, with no cloud account. Starts the API
// simulator, starts Node-RED (the dev dependency) with this package installed in a private
// user directory (.demo/, git-ignored), deploys the examples with credentials for the
// simulator, and prints the editor URL. Ctrl-C stops both.
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.join(root, '.demo');
const host = '127.0.0.1';
const editorPort = Number(process.env.NODE_RED_PORT || 1880);
const simPort = Number(process.env.SIMULATOR_PORT || 8484);

const { startSimulator, DEFAULT_API_KEY, DEFAULT_API_SECRET, DEFAULT_CHANNEL_KEY } = require(
  path.join(root, 'nodes', 'lib', 'simulator'),
);

function prepareUserDir() {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  // Install this package the way npm would, as a link, so edits + `npm run build` show up.
  const link = path.join(userDir, 'node_modules', 'node-red-contrib-movilitas');
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'movilitas-demo', private: true, dependencies: { 'node-red-contrib-movilitas': 'file:..' } }, null, 2),
  );
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiHost: ${JSON.stringify(host)},
  uiPort: ${editorPort},
  flowFile: 'flows.json',
  credentialSecret: 'movilitas-demo-only',
  editorTheme: { tours: false, projects: { enabled: false } },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
`,
  );
}

/** The examples, merged into one flow (they share the config node), pointed at the simulator. */
function demoFlow(simUrl) {
  const byId = new Map();
  for (const file of fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json')).sort()) {
    for (const n of JSON.parse(fs.readFileSync(path.join(root, 'examples', file), 'utf8'))) byId.set(n.id, n);
  }
  for (const n of byId.values()) {
    if (n.type === 'movilitas-config') {
      n.baseUrl = simUrl;
      // Sent once over the admin API on deploy; Node-RED stores them encrypted in flows_cred.json.
      n.credentials = { apiKey: DEFAULT_API_KEY, apiSecret: DEFAULT_API_SECRET, channelKey: DEFAULT_CHANNEL_KEY };
    }
  }
  return [...byId.values()];
}

async function waitForEditor(url, child) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/settings`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('Node-RED did not start within 60 s');
}

async function main() {
  prepareUserDir();
  const sim = await startSimulator({ port: simPort, quiet: true });
  console.log(`[demo] simulator on ${sim.url}`);

  const red = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const prefix = (stream, out) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) out.write(`[node-red] ${line}\n`);
    });
  };
  prefix(red.stdout, process.stdout);
  prefix(red.stderr, process.stderr);

  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[demo] stopping Node-RED and the simulator');
    if (red.exitCode === null) {
      red.kill('SIGINT');
      await new Promise((r) => {
        const t = setTimeout(() => {
          red.kill('SIGKILL');
          r();
        }, 10_000);
        red.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await sim.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  red.on('exit', (code) => {
    if (!stopping) {
      console.error(`[demo] Node-RED exited (${code})`);
      void stop(1);
    }
  });

  const editor = `http://${host}:${editorPort}`;
  await waitForEditor(editor, red);
  const res = await fetch(`${editor}/flows`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
    body: JSON.stringify(demoFlow(sim.url)),
  });
  if (!res.ok) throw new Error(`deploying the demo flow failed: HTTP ${res.status} ${await res.text()}`);

  console.log(`
[demo] ready.
  Node-RED editor:  ${editor}/
  Simulator:        ${sim.url}  (state: ${sim.url}/_sim/state, request log: ${sim.url}/_sim/log)
  Deployed:         the examples "Release a list of serials" and "One serial per message".
  Click an inject node's button; the debug sidebar shows output 1 (released) or 2 (failed).
  Ctrl-C stops Node-RED and the simulator.
`);
}

main().catch((err) => {
  console.error(`[demo] ${err && err.message ? err.message : err}`);
  process.exit(1);
});
