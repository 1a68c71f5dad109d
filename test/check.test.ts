/** The pure parts of the connection check (src/api/check.ts): which credentials a dialog check uses. */
import assert from 'node:assert/strict';
import { credentialsForCheck, dialogCredentials, resolveEnvReferences } from '../src/api';

const SAVED = { credentials: { apiKey: 'saved-key', apiSecret: 'saved-secret', channelKey: 'saved-channel' }, baseUrl: 'http://10.0.0.5:8080' };
const ENV = { MOV_SECRET: 'env-secret' };

describe('connection check: credentials', () => {
  it('takes typed values as typed, the placeholder from the saved ones, ${ENV} from the environment', () => {
    assert.deepEqual(
      dialogCredentials({ apiKey: 'typed', apiSecret: '__PWRD__', channelKey: 'x-${MOV_SECRET}-${NOT_SET}', token: '' }, SAVED.credentials, ENV),
      { apiKey: 'typed', apiSecret: 'saved-secret', channelKey: 'x-env-secret-', token: '' },
    );
    assert.deepEqual(dialogCredentials({ apiKey: '__PWRD__' }, undefined, ENV), {}, 'nothing saved: missing');
    assert.equal(resolveEnvReferences('${A}${B}', { A: '1' }), '1');
  });

  it('sends server-side secrets to the deployed base URL (trailing slash or not) and the vendor URLs only', () => {
    const typed = { apiKey: '__PWRD__', apiSecret: '__PWRD__', channelKey: '${MOV_SECRET}' };
    const at = (environment: string, baseUrl = '') => credentialsForCheck(typed, SAVED, { environment, baseUrl }, ENV);
    assert.equal(at('custom', 'http://10.0.0.5:8080/').ok, true);
    assert.equal(at('production').ok, true);
    assert.equal(at('acceptance').ok, true);
    const elsewhere = at('custom', 'http://10.0.0.5:8081');
    assert.equal(elsewhere.ok, false);
    assert.equal(credentialsForCheck(typed, { credentials: SAVED.credentials }, { environment: 'custom', baseUrl: SAVED.baseUrl }, ENV).ok, false,
      'a saved node whose base URL is unknown (not running): only the vendor URLs');
  });

  it('lets typed credentials go anywhere, and leaves a bad URL to the settings check', () => {
    assert.deepEqual(credentialsForCheck({ apiKey: 'k', apiSecret: 's', channelKey: 'c' }, undefined, { environment: 'custom', baseUrl: 'http://h' }), {
      ok: true,
      credentials: { apiKey: 'k', apiSecret: 's', channelKey: 'c' },
    });
    assert.equal(credentialsForCheck({ apiKey: '__PWRD__' }, SAVED, { environment: 'custom', baseUrl: 'not a url' }).ok, true);
  });
});
