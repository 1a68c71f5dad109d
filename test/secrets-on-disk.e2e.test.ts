/**
 * Secret audit on disk: a real Node-RED (the dev dependency) in a temporary user directory
 * with a credentialSecret, this package installed as a link. A flow is deployed over the admin
 * API with the credentials inline, as the editor sends them; the flow runs once against the
 * simulator (so the credentials are really in use); Node-RED is stopped; then every file it
 * wrote is read as text. No credential may be in clear anywhere: not in flows.json, not in
 * flows_cred.json (encrypted), not in a backup, not in what the admin API gives back, not on
 * its console.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';

const root = path.resolve(__dirname, '..');

const SECRETS = {
  apiKey: 'AK-disk-9d8c7b6a-key',
  apiSecret: 'SEC-disk-"5f4e\\3d-secret',
  token: 'STAT-disk-2c1b0a9f',
  channelKey: 'CHAN-disk-8e7d6c5b',
};
const CREDENTIAL_SECRET = 'audit-credential-secret-0f1e2d3c';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Every file under `dir` (not following the package link), as text. */
function filesUnder(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else out.push({ file: path.relative(dir, full), text: fs.readFileSync(full, 'utf8') });
  }
  return out;
}

function assertNoSecret(where: string, text: string): void {
  // settings.js is where the credentialSecret belongs (we wrote it); nowhere else.
  const secrets = where === 'settings.js' ? Object.values(SECRETS) : [...Object.values(SECRETS), CREDENTIAL_SECRET];
  for (const secret of secrets) {
    for (const form of [secret, JSON.stringify(secret).slice(1, -1)]) {
      assert.ok(!text.includes(form), `${where} holds ${JSON.stringify(form)} in clear`);
    }
  }
  for (const marker of ['9d8c7b6a', '5f4e', '2c1b0a9f', '8e7d6c5b']) assert.ok(!text.includes(marker), `${where} holds the marker ${marker}`);
}

describe('secret audit on disk: a real Node-RED', function () {
  this.timeout(90_000);
  let userDir: string;
  let sim: Simulator;
  let red: ChildProcess | undefined;
  let console = '';

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-audit-'));
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(root, path.join(userDir, 'node_modules', 'node-red-contrib-movilitas'), 'dir');
    sim = await startSimulator({ apiKey: SECRETS.apiKey, apiSecret: SECRETS.apiSecret, staticTokens: [SECRETS.token], channelKeys: [SECRETS.channelKey] });
  });

  after(async () => {
    if (red && red.exitCode === null) red.kill('SIGKILL');
    await sim.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('keeps every credential out of flows.json, encrypted in flows_cred.json, and out of the admin API and the console', async () => {
    const port = await freePort();
    fs.writeFileSync(
      path.join(userDir, 'settings.js'),
      `module.exports = ${JSON.stringify({
        uiHost: '127.0.0.1',
        uiPort: port,
        flowFile: 'flows.json',
        credentialSecret: CREDENTIAL_SECRET,
        telemetry: { enabled: false },
        diagnostics: { enabled: false, ui: false },
        editorTheme: { tours: false, projects: { enabled: false } },
        logging: { console: { level: 'debug', metrics: false, audit: true } },
      })};\n`,
    );
    red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
      cwd: userDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
    });
    red.stdout!.on('data', (c: Buffer) => (console += c.toString()));
    red.stderr!.on('data', (c: Buffer) => (console += c.toString()));
    const admin = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (red.exitCode !== null) assert.fail(`Node-RED exited: ${console}`);
      try {
        if ((await fetch(`${admin}/settings`)).ok) break;
      } catch {
        // not up yet
      }
      if (i > 300) assert.fail(`Node-RED did not start: ${console}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const nodes = await (await fetch(`${admin}/nodes`, { headers: { accept: 'application/json' } })).json() as Array<{ module: string; types: string[] }>;
    assert.ok(nodes.some((n) => n.module === 'node-red-contrib-movilitas'), 'the package is installed');

    // The editor's deploy: credentials travel inline, once, on the config node.
    const [serial] = sim.assign(SAMPLE_PRODUCT_CODE, 1);
    const flow = [
      { id: 'tab1', type: 'tab', label: 'audit' },
      { id: 'inj', type: 'inject', z: 'tab1', once: true, onceDelay: 0.1, payloadType: 'json', payload: JSON.stringify({ product_code: SAMPLE_PRODUCT_CODE, serials: [serial] }), topic: '', repeat: '', wires: [['rel']] },
      { id: 'rel', type: 'movilitas-release-serials', z: 'tab1', config: 'cfg', productCode: '', productCodeType: 'str', verifyCheckDigit: true, validateSerials: true, maxSerialsPerRequest: 1000, coalesceMs: 0, reportToCatch: false, wires: [['dbg'], ['dbg']] },
      { id: 'dbg', type: 'debug', z: 'tab1', active: true, tosidebar: false, console: true, tostatus: false, complete: 'true', targetType: 'full' },
      {
        id: 'cfg',
        type: 'movilitas-config',
        name: 'audit',
        environment: 'custom',
        baseUrl: sim.url,
        authMode: 'dynamic',
        tokenHeader: 'x-access-token',
        timeout: 5000,
        retries: 0,
        concurrency: 2,
        tls: '',
        proxy: '',
        credentials: { ...SECRETS },
      },
    ];
    const deployed = await fetch(`${admin}/flows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify(flow),
    });
    assert.ok(deployed.ok, await deployed.text());

    // The flow runs: the inject fires once, the credentials are used for real.
    for (let i = 0; sim.releaseRequests().length === 0; i++) {
      if (i > 100) assert.fail(`no release request; console: ${console}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(JSON.parse(sim.authRequests()[0]!.body).api_secret, SECRETS.apiSecret, 'the secret reached the API');
    assert.equal(sim.serialStatus(SAMPLE_PRODUCT_CODE, serial!), 'Available');

    // What the editor reads back, export included.
    const flowsBack = await (await fetch(`${admin}/flows`)).text();
    assertNoSecret('GET /flows', flowsBack);
    const credsBack = await (await fetch(`${admin}/credentials/movilitas-config/cfg`)).json() as Record<string, unknown>;
    assert.deepEqual(credsBack, { has_apiKey: true, has_apiSecret: true, has_token: true, has_channelKey: true });

    // Stop as a service manager would, then read what is on disk.
    const exited = new Promise((r) => red!.once('exit', r));
    red.kill('SIGINT');
    await exited;

    const files = filesUnder(userDir);
    const names = files.map((f) => f.file);
    assert.ok(names.includes('flows.json') && names.includes('flows_cred.json'), names.join(', '));
    for (const { file, text } of files) assertNoSecret(file, text);
    const cred = JSON.parse(files.find((f) => f.file === 'flows_cred.json')!.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(cred), ['$'], 'flows_cred.json holds only the encrypted blob');
    const saved = JSON.parse(files.find((f) => f.file === 'flows.json')!.text) as Array<Record<string, unknown>>;
    assert.equal(saved.find((n) => n.id === 'cfg')!.credentials, undefined);
    assertNoSecret('the Node-RED console', console);
    assert.match(console, /Started flows/);
  });
});
