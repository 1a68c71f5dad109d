/**
 * A private certificate authority made at test time with the `openssl` command (node:crypto
 * cannot issue X.509 certificates): a CA, and a server certificate for 127.0.0.1 and localhost
 * signed by it. Nothing is written outside a temporary folder, which is removed at exit.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  /** The CA certificate (PEM): what a client must trust. */
  caCert: string;
  /** Its file, for a `tls-config` node's `ca` path. */
  caCertPath: string;
  serverKey: string;
  serverCert: string;
}

let made: TestPki | undefined;

export function testPki(): TestPki {
  if (made) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'movilitas-pki-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Movilitas Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  made = { caCert: read('ca.crt'), caCertPath: path.join(dir, 'ca.crt'), serverKey: read('server.key'), serverCert: read('server.crt') };
  return made;
}
