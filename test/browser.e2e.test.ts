/**
 * The editor in a real browser: Debian's Chromium driven by playwright-core against a real
 * Node-RED with the packed package installed and the simulator behind it. A user's path:
 * the palette shows "release serials" under Movilitas; the release node's dialog and, from it,
 * the connection's dialog open; credentials are typed, Test connection reports success, both
 * dialogs save; deploy; the inject button releases; the debug sidebar shows output 1; the
 * browser console shows no error. Screenshots of both dialogs go to test-artifacts/ (and to
 * docs/ with UPDATE_SCREENSHOTS=1, for the README).
 *
 * Needs /usr/bin/chromium (CHROMIUM_PATH to override). Without it the test is skipped, unless
 * BROWSER_TEST=required (as in .ci/run), which makes a missing browser a failure.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SAMPLE_PRODUCT_CODE, Simulator, startSimulator } from '../src/simulator';
import { installPackedPackage, ROOT, RunningNodeRed, startNodeRed } from './support/node-red-process';
import { nodeRedVersion } from './support/runtime';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MAJOR = nodeRedVersion.split('.')[0];
const ARTIFACTS = path.join(ROOT, 'test-artifacts', `node-red-${MAJOR}`);
const DOCS = path.join(ROOT, 'docs');

describe(`the editor in Chromium (Node-RED ${nodeRedVersion})`, function () {
  this.timeout(180_000);
  let userDir: string;
  let red: RunningNodeRed;
  let sim: Simulator;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const flow = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'release-a-list-of-serials.json'), 'utf8')) as Array<
    Record<string, any>
  >;
  const releaseNode = flow.find((n) => n.type === 'movilitas-release-serials')!;
  const configNode = flow.find((n) => n.type === 'movilitas-config')!;
  const injectNode = flow.find((n) => n.type === 'inject' && /2 unprinted/.test(n.name))!;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.BROWSER_TEST === 'required') throw new Error(`${CHROMIUM} not found (apt-get install -y chromium)`);
      this.skip();
    }
    fs.rmSync(ARTIFACTS, { recursive: true, force: true });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-browser-'));
    installPackedPackage(userDir);
    sim = await startSimulator();
    // The example, pointed at the simulator, deployed without credentials: the user types them.
    configNode.baseUrl = sim.url;
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow, null, 2));
    red = await startNodeRed({ userDir });

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => {
      // Only this machine is ever asked; anything else would be a leak worth failing on.
      if (!r.url().startsWith(red.url) && !r.url().startsWith('data:')) consoleErrors.push(`request to ${r.url()} failed`);
    });
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await sim?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function screenshot(name: string): Promise<void> {
    // The topmost tray (the dialog being edited).
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.locator('.red-ui-tray').last().screenshot({ path: file });
    if (process.env.UPDATE_SCREENSHOTS) {
      fs.mkdirSync(DOCS, { recursive: true });
      fs.copyFileSync(file, path.join(DOCS, `${name}-node-red-${MAJOR}.png`));
    }
  }

  it('shows "release serials" in the palette under Movilitas', async () => {
    await page.goto(`${red.url}/`);
    const paletteNode = page.locator('.red-ui-palette-node[data-palette-type="movilitas-release-serials"]');
    await paletteNode.waitFor({ state: 'attached', timeout: 60_000 });
    const label = await paletteNode.locator('.red-ui-palette-label').textContent();
    assert.equal(label?.replace(/\s+/g, ' ').trim(), 'release serials');
    const category = page.locator('#red-ui-palette-container-Movilitas');
    assert.equal(await category.count(), 1, 'a Movilitas category');
    assert.equal(await category.locator('.red-ui-palette-node[data-palette-type="movilitas-release-serials"]').count(), 1);
    assert.match(await category.locator('.red-ui-palette-header').innerText(), /movilitas/i);
    // The config node is not in the palette: it appears in the config sidebar.
    assert.equal(await page.locator('.red-ui-palette-node[data-palette-type="movilitas-config"]').count(), 0);
  });

  it('opens the release dialog, then the connection dialog from it; Test connection reports success', async () => {
    await page.locator(`g.red-ui-flow-node-group[id="${releaseNode.id}"] rect.red-ui-flow-node`).dblclick();
    await page.locator('#node-input-config').waitFor({ state: 'visible' });
    await page.locator('#node-input-productCode').waitFor({ state: 'attached' });
    await page.waitForTimeout(500); // the tray's slide-in
    await screenshot('release-serials-dialog');

    await page.locator('#node-input-btn-config-edit').click();
    const apiKey = page.locator('#node-config-input-apiKey');
    await apiKey.waitFor({ state: 'visible' });
    assert.equal(await page.locator('#node-config-input-environment').inputValue(), 'custom');
    assert.equal(await page.locator('#node-config-input-baseUrl').inputValue(), sim.url);
    await apiKey.fill(sim.credentials.apiKey);
    await page.locator('#node-config-input-apiSecret').fill(sim.credentials.apiSecret);
    await page.locator('#node-config-input-channelKey').fill(sim.credentials.channelKey!);

    await page.locator('#node-config-movilitas-test').click();
    const result = page.locator('#node-config-movilitas-test-result[data-state="ok"], #node-config-movilitas-test-result[data-state="failed"]');
    await result.waitFor({ state: 'visible', timeout: 20_000 });
    const text = (await result.innerText()).trim();
    assert.equal(await result.getAttribute('data-state'), 'ok', text);
    assert.match(text, /Connected: token received, channel key accepted/);
    assert.equal(sim.authRequests().length, 1, 'the test fetched one token');
    assert.equal(sim.state().releasedTotal, 0, 'and released nothing');
    await page.waitForTimeout(300);
    await screenshot('config-dialog');
  });

  it('saves both dialogs and deploys', async () => {
    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-apiKey').waitFor({ state: 'detached' });
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-config').waitFor({ state: 'detached' });

    const dirty = () => page.evaluate(() => (window as unknown as { RED: { nodes: { dirty(): boolean } } }).RED.nodes.dirty());
    assert.equal(await dirty(), true, 'there are changes to deploy');
    await page.locator('#red-ui-header-button-deploy').click();
    await page.waitForFunction(() => !(window as unknown as { RED: { nodes: { dirty(): boolean } } }).RED.nodes.dirty(), null, {
      timeout: 20_000,
    });
    await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor({ state: 'visible', timeout: 20_000 });
    // The saved flow has the credentials, encrypted apart from the flow.
    const creds = fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8');
    assert.ok(!creds.includes(sim.credentials.apiSecret), 'credentials are stored encrypted');
    assert.deepEqual(Object.keys(JSON.parse(creds)), ['$']);
    const saved = JSON.parse(fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8')) as Array<Record<string, unknown>>;
    assert.ok(saved.every((n) => n.credentials === undefined), 'no credentials in the flow file');
  });

  it('releases on the inject button, and the debug sidebar shows output 1', async () => {
    await page.evaluate(() => (window as unknown as { RED: { sidebar: { show(id: string): void } } }).RED.sidebar.show('debug'));
    const before = sim.releaseRequests().length;
    await page.locator(`g.red-ui-flow-node-group[id="${injectNode.id}"] .red-ui-flow-node-button rect`).last().click();
    // The example's debug nodes are named "released" (output 1) and "failed" (output 2).
    const message = page.locator('.red-ui-debug-msg').filter({ hasText: 'node: released' });
    await message
      .first()
      .waitFor({ state: 'visible', timeout: 20_000 })
      .catch(async (err: unknown) => {
        await page.screenshot({ path: path.join(ARTIFACTS, 'debug-sidebar-failed.png') });
        throw err;
      });
    assert.equal(await page.locator('.red-ui-debug-msg').filter({ hasText: 'node: failed' }).count(), 0);
    assert.equal(sim.releaseRequests().length, before + 1);
    assert.equal(JSON.parse(sim.releaseRequests().at(-1)!.body).product_code, SAMPLE_PRODUCT_CODE);
    assert.match(await message.first().innerText(), /batch-4711/);
    // Open msg, then msg.payload: the API's answer.
    await message.first().locator('.red-ui-debug-msg-object-handle').first().click();
    await message.first().locator('.red-ui-debug-msg-object-key:visible', { hasText: /^payload$/ }).first().click();
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.red-ui-debug-msg')).some((m) => /Serials released/.test(m.textContent ?? '')),
      null,
      { timeout: 5_000 },
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'debug-sidebar.png') });
  });

  it('in German, after deploy: the saved credentials (not typed again) pass Test connection', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'de-DE' });
    const de = await context.newPage();
    de.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`(de) ${m.text()}`);
    });
    de.on('pageerror', (e) => consoleErrors.push(`(de) pageerror: ${e.message}`));
    try {
      await de.goto(`${red.url}/`);
      await de.locator(`g.red-ui-flow-node-group[id="${releaseNode.id}"] rect.red-ui-flow-node`).dblclick({ timeout: 60_000 });
      await de.locator('#node-input-btn-config-edit').click();
      const apiSecret = de.locator('#node-config-input-apiSecret');
      await apiSecret.waitFor({ state: 'visible' });
      assert.equal(await apiSecret.inputValue(), '__PWRD__', 'a saved password shows as the placeholder');
      const button = de.locator('#node-config-movilitas-test');
      assert.equal((await button.innerText()).trim(), 'Verbindung testen');
      const authBefore = sim.authRequests().length;
      await button.click();
      const result = de.locator('#node-config-movilitas-test-result[data-state="ok"], #node-config-movilitas-test-result[data-state="failed"]');
      await result.waitFor({ state: 'visible', timeout: 20_000 });
      const text = (await result.innerText()).trim();
      assert.equal(await result.getAttribute('data-state'), 'ok', text);
      assert.match(text, /Verbunden: Token erhalten, Channel-Key akzeptiert/);
      assert.equal(sim.authRequests().length, authBefore + 1);
      assert.deepEqual(JSON.parse(sim.authRequests().at(-1)!.body), {
        api_key: sim.credentials.apiKey,
        api_secret: sim.credentials.apiSecret,
      });
      await de.locator('.red-ui-tray').last().screenshot({ path: path.join(ARTIFACTS, 'config-dialog-de.png') });
    } finally {
      await context.close();
    }
  });

  it('logged no error in the browser console', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
