// Editor side of the `movilitas-config` node: one connection to the Movilitas.Cloud API.
// The definition stays literal in this call: the Flow Library scorecard reads it from the
// built .html (category, color, icon, inputs, outputs, defaults, credentials).
import { catalogue } from '../shared/i18n';
import { integerAtLeast, oneOf } from '../shared/validators';
import {
  AUTH_MODES,
  ENVIRONMENTS,
  TOKEN_HEADERS,
  configLabel,
  credentialNeeded,
  prepareConfigDialog,
  saveConfigDialog,
  validateBaseUrl,
  type ConfigCredentials,
  type ConfigProperties,
} from './settings';
import { prepareTestButton } from './test-connection';

const t = catalogue('movilitas-config');

RED.nodes.registerType<ConfigProperties, ConfigCredentials>('movilitas-config', {
  category: 'config',
  color: '#5BA4C6',
  icon: 'movilitas.svg',
  inputs: 0,
  outputs: 0,
  defaults: {
    name: { value: '' },
    environment: { value: 'production', label: t('label.environment'), validate: oneOf(ENVIRONMENTS) },
    baseUrl: { value: '', label: t('label.baseUrl'), validate: validateBaseUrl },
    authMode: { value: 'dynamic', label: t('label.authMode'), validate: oneOf(AUTH_MODES) },
    tokenHeader: { value: 'x-access-token', label: t('label.tokenHeader'), validate: oneOf(TOKEN_HEADERS) },
    timeout: { value: 30000, label: t('label.timeout'), validate: integerAtLeast(1) },
    retries: { value: 3, label: t('label.retries'), validate: integerAtLeast(0) },
    concurrency: { value: 4, label: t('label.concurrency'), validate: integerAtLeast(1) },
    tls: { value: '', type: 'tls-config', required: false, label: t('label.tls') },
    proxy: { value: '', type: 'http proxy', required: false, label: t('label.proxy') },
  },
  credentials: {
    apiKey: { type: 'password', label: t('label.apiKey'), validate: credentialNeeded('dynamic', 'api-key-required') },
    apiSecret: {
      type: 'password',
      label: t('label.apiSecret'),
      validate: credentialNeeded('dynamic', 'api-secret-required'),
    },
    token: { type: 'password', label: t('label.token'), validate: credentialNeeded('static', 'token-required') },
    channelKey: {
      type: 'password',
      label: t('label.channelKey'),
      validate: credentialNeeded('any', 'channel-key-required'),
    },
  },
  // Names the type in the dialog's title ("Edit Movilitas connection node") and config lists.
  paletteLabel() {
    return t('paletteLabel');
  },
  label() {
    return configLabel(this);
  },
  oneditprepare() {
    prepareConfigDialog(this);
    prepareTestButton(this);
  },
  oneditsave() {
    saveConfigDialog();
  },
});
