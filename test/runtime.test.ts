/** Which Node-RED and Node.js this run tests (the suite runs on Node-RED 4 and 5: see .ci/run). */
import assert from 'node:assert/strict';
import { nodeRedVersion } from './support/runtime';

describe(`the runtime under test: Node-RED ${nodeRedVersion} on Node.js ${process.versions.node}`, () => {
  it('is the Node-RED major that EXPECT_NODE_RED_MAJOR names, when it names one', function () {
    const expected = process.env.EXPECT_NODE_RED_MAJOR;
    if (!expected) this.skip();
    assert.equal(nodeRedVersion.split('.')[0], expected);
  });

  it('is a Node.js the package supports (>= 20.18.1), and >= 22.9 for Node-RED 5', () => {
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    assert.ok(major > 20 || (major === 20 && minor >= 18));
    if (nodeRedVersion.startsWith('5.')) assert.ok(major > 22 || (major === 22 && minor >= 9));
  });
});
