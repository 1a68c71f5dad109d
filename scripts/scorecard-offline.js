'use strict';
// Preloaded (node --require) into `node-red-dev validate` by scripts/scorecard.js.
//
// The scorecard reads https://catalogue.nodered.org/catalogue.json for two checks: P08
// (similar package names) and N01 (node types used by another package). That host is not
// reachable where this project is built and tested, so its one request is answered here with
// an empty catalogue; the npm registry (reachable) is asked as usual. node-red-dev fetches
// with its own copy of axios (`axios.get(url)`), so an interceptor on that copy answers the
// catalogue request through a custom adapter and lets every other request through.
const path = require('node:path');

const CATALOGUE = 'https://catalogue.nodered.org/catalogue.json';
const devDir = path.dirname(require.resolve('node-red-dev/package.json'));
const axios = require(require.resolve('axios', { paths: [path.join(devDir, 'src')] }));

axios.interceptors.request.use((config) => {
  if (config.url === CATALOGUE) {
    process.env.MOVILITAS_SCORECARD_CATALOGUE_STUBBED = '1';
    console.log(`[scorecard-offline] ${CATALOGUE} is not reachable here: answered with an empty catalogue (P08 and N01 not checked against the live catalogue)`);
    config.adapter = async () => ({
      data: { name: 'offline stand-in', updated_at: new Date(0).toISOString(), modules: [] },
      status: 200,
      statusText: 'OK',
      headers: { 'content-type': 'application/json' },
      config,
      request: {},
    });
  }
  return config;
});
