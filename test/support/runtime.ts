/**
 * Which Node-RED the tests run against. By default the devDependency (4.x). NODE_RED_HOME
 * names a folder holding another install, `<folder>/node_modules/node-red` (`.nr5/`, made by
 * scripts/install-node-red-5.sh), so the same suite runs on the next major without touching the
 * devDependency. Everything Node-RED-specific (the runtime, its core nodes, red.js) is resolved
 * through `nodeRedRequire`, so nothing mixes two majors.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const home = process.env.NODE_RED_HOME ? path.resolve(process.env.NODE_RED_HOME) : undefined;

/** A `require` that resolves from the selected Node-RED install. */
export const nodeRedRequire: NodeJS.Require = home
  ? createRequire(path.join(home, 'node_modules', 'noop.js'))
  : require;

/** The selected Node-RED's version, e.g. "4.1.15". */
export const nodeRedVersion: string = (nodeRedRequire('node-red/package.json') as { version: string }).version;

/** Its red.js, to start it as a process. */
export const redJs: string = nodeRedRequire.resolve('node-red/red.js');
