/**
 * A real Node-RED, as a user runs it: `red.js` of the selected install (test/support/runtime.ts)
 * started as a child process with its own user directory in a temporary folder, on 127.0.0.1
 * and a free port, optionally with adminAuth. Used by the packaging test and the browser test.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { nodeRedRequire, redJs } from './runtime';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface AdminUser {
  username: string;
  password: string;
  permissions: string;
}

export interface NodeRedOptions {
  /** Default: a new temporary folder, removed by stop(). */
  userDir?: string;
  adminAuth?: AdminUser[];
  /** Extra lines inside `module.exports = { ... }` of settings.js. */
  settings?: string;
}

export interface RunningNodeRed {
  url: string;
  userDir: string;
  /** Every line Node-RED printed, stdout and stderr. */
  log: string[];
  /** An access token for a user of adminAuth (POST /auth/token), for the scope given (default *). */
  login(username: string, password: string, scope?: string): Promise<string>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A bcrypt hash, as adminAuth wants, with the bcryptjs that Node-RED itself uses. */
function bcryptHash(password: string): string {
  const bcrypt = createRequire(nodeRedRequire.resolve('@node-red/editor-api/package.json'))('bcryptjs') as {
    hashSync(s: string, rounds: number): string;
  };
  return bcrypt.hashSync(password, 8);
}

/**
 * `npm pack` of the current build (run `npm run build` first: `npm test` does), installed with
 * `npm install <tarball>` into `userDir` as a user would. Returns the tarball's file name.
 */
export function installPackedPackage(userDir: string): string {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-pack-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    // --ignore-scripts: the build is there already; prepack would rebuild nodes/ under running tests.
    const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-user-dir', private: true }, null, 2));
    execFileSync(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=dev', path.join(packDir, filename)],
      { cwd: userDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 },
    );
    return filename;
  } finally {
    fs.rmSync(packDir, { recursive: true, force: true });
  }
}

export async function startNodeRed(opts: NodeRedOptions = {}): Promise<RunningNodeRed> {
  const ownDir = !opts.userDir;
  const userDir = opts.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-nr-'));
  const port = await freePort();
  const adminAuth = opts.adminAuth
    ? `adminAuth: ${JSON.stringify({
        type: 'credentials',
        users: opts.adminAuth.map((u) => ({ username: u.username, password: bcryptHash(u.password), permissions: u.permissions })),
      })},`
    : '';
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: 'movilitas-test-only',
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  ${adminAuth}
  ${opts.settings ?? ''}
};
`,
  );
  const child: ChildProcess = spawn(process.execPath, [redJs, '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
    cwd: userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
  });
  const log: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      log.push(...lines);
      if (process.env.NODE_RED_TEST_LOG) for (const l of lines) console.log(`    [node-red] ${l}`);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const url = `http://127.0.0.1:${port}`;

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    if (ownDir) fs.rmSync(userDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`Node-RED exited with code ${child.exitCode}:\n${log.join('\n')}`);
    }
    try {
      const res = await fetch(`${url}/settings`);
      // 401 with adminAuth: up, and asking for a login.
      if (res.ok || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not start within 60 s:\n${log.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    userDir,
    log,
    stop,
    login: async (username, password, scope = '*') => {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password }),
      });
      if (!res.ok) throw new Error(`login as ${username}: HTTP ${res.status}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}
