/**
 * The package as a user gets it: `npm pack`, `npm install <tarball>` into a fresh Node-RED user
 * directory, a real Node-RED started on it (with adminAuth), checked through the admin API:
 * both node types registered with no warning or error, the examples listed under Import >
 * Examples, a deployed example releasing serials against the simulator, and the Test
 * connection endpoint guarded by Node-RED's permission checks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { installPackedPackage, ROOT, RunningNodeRed, startNodeRed } from './support/node-red-process';
import { nodeRedVersion } from './support/runtime';

const MODULE = 'node-red-contrib-movilitas';
const TYPES = ['movilitas-config', 'movilitas-release-serials'];
const EXAMPLES = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();

describe(`the packed package in a real Node-RED ${nodeRedVersion}`, function () {
  this.timeout(240_000);
  let userDir: string;
  let red: RunningNodeRed;
  let sim: Simulator;
  let admin: string;
  let tarball: string;

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-userdir-'));
    tarball = installPackedPackage(userDir);
    sim = await startSimulator();
    red = await startNodeRed({
      userDir,
      adminAuth: [
        { username: 'admin', password: 'admin-pass', permissions: '*' },
        { username: 'viewer', password: 'viewer-pass', permissions: 'read' },
      ],
    });
    admin = await red.login('admin', 'admin-pass');
  });

  after(async () => {
    await red?.stop();
    await sim?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  /** An admin API call, as `admin` unless another token (or null: none) is given. */
  async function api(p: string, init: RequestInit = {}, as: string | null = admin): Promise<Response> {
    const token = as;
    return fetch(`${red.url}${p}`, {
      ...init,
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
    });
  }

  /** Warnings Node-RED prints about its own set-up here, not about any node. */
  const NODE_RED_OWN = [/Projects disabled/, /Encrypted credentials not found/];

  /** Warn and error lines of the log (except NODE_RED_OWN), and any line saying this package failed. */
  function complaints(): string[] {
    return red.log.filter(
      (l) =>
        (/\[(warn|error)\]/.test(l) && !NODE_RED_OWN.some((re) => re.test(l))) ||
        (/movilitas/i.test(l) && /fail|error|missing|cannot|unable/i.test(l)),
    );
  }

  it('is installed from the tarball, runtime dependencies only', () => {
    assert.match(tarball, new RegExp(`^${MODULE}-\\d+\\.\\d+\\.\\d+\\.tgz$`));
    const installed = path.join(userDir, 'node_modules', MODULE);
    assert.ok(fs.existsSync(path.join(installed, 'nodes', 'movilitas-config.js')));
    assert.ok(!fs.lstatSync(installed).isSymbolicLink(), 'a real install, not a link');
    assert.ok(!fs.existsSync(path.join(installed, 'src')), 'sources are not shipped');
    assert.ok(!fs.existsSync(path.join(installed, 'test')));
    assert.ok(fs.existsSync(path.join(userDir, 'node_modules', 'undici')));
    assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', 'mocha')), 'no dev dependency');
  });

  it('registers both node types, enabled and loaded, with no warning or error in the log', async () => {
    assert.deepEqual(complaints(), []);
    assert.ok(!red.log.some((l) => /Failed to (register|load)|------/.test(l)), 'no "failed to load" block');
    const res = await api('/nodes');
    assert.equal(res.status, 200);
    const sets = (await res.json()) as Array<{ id: string; module: string; types: string[]; enabled: boolean; loaded?: boolean; err?: string }>;
    const ours = sets.filter((s) => s.module === MODULE);
    assert.deepEqual(ours.map((s) => s.types).flat().sort(), TYPES);
    for (const set of ours) {
      assert.equal(set.enabled, true, set.id);
      assert.notEqual(set.loaded, false, set.id);
      assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
    }
    const mod = await api(`/nodes/${MODULE}`);
    assert.equal(mod.status, 200);
    const info = (await mod.json()) as { name: string; version: string; nodes: unknown[] };
    assert.equal(info.name, MODULE);
    assert.equal(info.version, JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
    assert.equal(info.nodes.length, 2);
  });

  it('serves the editor files: the node definitions, catalogues (en-US, de) and icon', async () => {
    const texts: Record<string, string> = {};
    const html = await (await api('/nodes', { headers: { accept: 'text/html' } })).text();
    for (const type of TYPES) {
      assert.ok(html.includes(`RED.nodes.registerType("${type}"`) || html.includes(`registerType('${type}'`) || html.includes(`data-template-name="${type}"`), type);
    }
    for (const lang of ['en-US', 'de']) {
      const res = await api(`/locales/${MODULE}/movilitas-config?lng=${lang}`);
      assert.equal(res.status, 200);
      const cfg = (await res.json()) as Record<string, any>;
      assert.ok(cfg?.['movilitas-config']?.test?.button, `${lang}: the config catalogue with the Test connection texts`);
      texts[lang] = cfg['movilitas-config'].test.button;
    }
    assert.equal(texts['en-US'], 'Test connection');
    assert.equal(texts.de, 'Verbindung testen');
    const icon = await api(`/icons/${MODULE}/movilitas.svg`);
    assert.equal(icon.status, 200);
    assert.match(icon.headers.get('content-type') ?? '', /svg/);
  });

  it('lists the examples under Import > Examples, each one a flow', async () => {
    const modules = (await (await api('/library/examples/flows/')).json()) as unknown[];
    assert.ok(JSON.stringify(modules).includes(MODULE), JSON.stringify(modules));
    const listing = (await (await api(`/library/examples/flows/${MODULE}`)).json()) as Array<{ fn?: string } | string>;
    const names = listing.map((e) => (typeof e === 'string' ? e : e.fn)).sort();
    assert.deepEqual(names, EXAMPLES);
    for (const name of EXAMPLES) {
      const flow = (await (await api(`/library/examples/flows/${MODULE}/${name}`)).json()) as Array<{ type: string }>;
      assert.ok(flow.some((n) => n.type === 'movilitas-release-serials'), name);
      assert.ok(flow.some((n) => n.type === 'comment'), `${name} says what it shows`);
    }
  });

  it('runs a deployed example: the inject button releases the serials, no warning in the log', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'release-a-list-of-serials.json'), 'utf8')) as Array<Record<string, any>>;
    for (const n of flow) {
      if (n.type === 'movilitas-config') {
        n.baseUrl = sim.url;
        n.credentials = { apiKey: sim.credentials.apiKey, apiSecret: sim.credentials.apiSecret, channelKey: sim.credentials.channelKey };
      }
    }
    const startedBefore = red.log.filter((l) => /Started flows/.test(l)).length;
    const deployed = await api('/flows', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'node-red-deployment-type': 'full' },
      body: JSON.stringify(flow),
    });
    assert.ok(deployed.status === 200 || deployed.status === 204, `deploy: HTTP ${deployed.status}`);
    // The deploy answers before the new flows have started.
    for (let i = 0; i < 100 && red.log.filter((l) => /Started flows/.test(l)).length === startedBefore; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const flows = (await (await api('/flows')).json()) as Array<{ type: string; credentials?: unknown }>;
    assert.ok(flows.some((n) => n.type === 'movilitas-release-serials'));
    // (The example's comment names the simulator's demo values: look at the nodes' credentials.)
    assert.ok(flows.every((n) => n.credentials === undefined), 'GET /flows never carries credentials');

    const inject = flow.find((n) => n.type === 'inject' && /2 unprinted/.test(n.name))!;
    const before = sim.state().releasedTotal;
    const pressed = await api(`/inject/${inject.id}`, { method: 'POST' });
    assert.ok(pressed.ok, `inject: HTTP ${pressed.status}`);
    const deadline = Date.now() + 10_000;
    while (sim.releaseRequests().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [release] = sim.releaseRequests();
    assert.ok(release, 'the example released through the installed package');
    assert.equal(JSON.parse(release.body).product_code, SAMPLE_PRODUCT_CODE);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(sim.state().releasedTotal >= before);
    assert.deepEqual(complaints(), [], 'no warning or error in the log');
    assert.ok(red.log.some((l) => /Started flows/.test(l)));
    assert.ok(!red.log.some((l) => /Waiting for missing types/.test(l)));
  });

  describe('POST /movilitas/test-connection permissions', () => {
    const body = () => ({
      id: 'none',
      environment: 'custom',
      baseUrl: sim.url,
      authMode: 'static',
      credentials: { token: sim.credentials.staticToken, channelKey: sim.credentials.channelKey },
    });
    const post = (token: string | null) =>
      api('/movilitas/test-connection', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body()) }, token);

    it('refuses a request without a login (401), sending nothing to the API', async () => {
      sim.clearLog();
      const res = await post(null);
      assert.equal(res.status, 401);
      assert.equal(sim.requests.length, 0);
    });

    it('refuses a user who may only read (401)', async () => {
      sim.clearLog();
      const viewer = await red.login('viewer', 'viewer-pass', 'read');
      const res = await post(viewer);
      assert.equal(res.status, 401);
      assert.equal(sim.requests.length, 0);
    });

    it('answers a user allowed to write: connected, no secret in the answer', async () => {
      const res = await post(admin);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.equal(JSON.parse(text).result, 'connected', text);
      assert.ok(!text.includes(sim.credentials.staticToken!) && !text.includes(sim.credentials.channelKey!));
    });
  });
});
