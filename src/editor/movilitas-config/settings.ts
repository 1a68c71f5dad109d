// The config node's properties and what its dialog does with them.
import { catalogue } from '../shared/i18n';
import type { EditorNode, Validator } from '../shared/red';
import { currentValue, invalid, text } from '../shared/validators';

export const TYPE = 'movilitas-config';

export const ENVIRONMENTS = ['production', 'acceptance', 'custom'] as const;
export const AUTH_MODES = ['dynamic', 'static'] as const;
export const TOKEN_HEADERS = ['x-access-token', 'bearer'] as const;

export type Environment = (typeof ENVIRONMENTS)[number];
export type AuthMode = (typeof AUTH_MODES)[number];
export type TokenHeader = (typeof TOKEN_HEADERS)[number];

/** The API's address for each fixed environment (the same as the runtime's). */
export const ENVIRONMENT_URLS: Readonly<Record<Exclude<Environment, 'custom'>, string>> = {
  production: 'https://api.movilitas.cloud',
  acceptance: 'https://api-acc.movilitas.cloud',
};

export interface ConfigProperties {
  name: string;
  environment: Environment;
  baseUrl: string;
  authMode: AuthMode;
  tokenHeader: TokenHeader;
  timeout: number | string;
  retries: number | string;
  concurrency: number | string;
  tls: string;
  proxy: string;
}

export interface ConfigCredentials {
  apiKey: string;
  apiSecret: string;
  token: string;
  channelKey: string;
}

type ConfigNode = EditorNode<ConfigProperties>;

const INPUT = 'node-config-input';
/** The optional config-node pickers and the boxes that show them. */
const OPTIONAL_CONFIGS = [
  ['tls', 'useTls'],
  ['proxy', 'useProxy'],
] as const;
const ADVANCED_DEFAULTS: Partial<Record<keyof ConfigProperties, string>> = {
  timeout: '30000',
  retries: '3',
  concurrency: '4',
  tls: '',
  proxy: '',
};

function environmentOf(node: ConfigNode): unknown {
  return currentValue(`${INPUT}-environment`, node.environment);
}

/** Why `url` cannot be the API's base URL, as a `validation.*` key; null when it can. */
export function baseUrlProblem(url: string): string | null {
  if (url === '') return 'base-url-required';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'base-url-absolute';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    // "host:8080" parses with "host:" as its scheme: it is not absolute.
    return url.includes('://') ? 'base-url-protocol' : 'base-url-absolute';
  }
  if (!parsed.hostname) return 'base-url-absolute';
  if (parsed.username || parsed.password) return 'base-url-userinfo';
  if (parsed.search || parsed.hash || /[?#]/.test(url)) return 'base-url-query';
  return null;
}

/** `baseUrl` matters only for the custom environment, and is then required. */
export const validateBaseUrl: Validator<ConfigNode> = function (value, opt) {
  if (environmentOf(this) !== 'custom') return true;
  const problem = baseUrlProblem(text(value));
  return problem ? invalid(this, opt, problem) : true;
};

/**
 * A credential that must be set, in the given auth mode only (or always). Node-RED checks
 * credentials only while the dialog is open; a stored password shows there as a placeholder,
 * which counts as set.
 */
export function credentialNeeded(mode: AuthMode | 'any', reason: string): Validator<ConfigNode> {
  return function (value, opt) {
    if (mode !== 'any' && (currentValue(`${INPUT}-authMode`, this.authMode) || 'dynamic') !== mode) return true;
    return text(value) !== '' ? true : invalid(this, opt, reason);
  };
}

/** The label in the workspace and in config pickers. */
export function configLabel(node: ConfigProperties): string {
  const t = catalogue(TYPE);
  if (node.name) return node.name;
  if (node.environment === 'custom') {
    try {
      return t('label.node', { environment: new URL(text(node.baseUrl)).host });
    } catch {
      return t('label.node', { environment: t('environment-label.custom') });
    }
  }
  const environment = ENVIRONMENTS.includes(node.environment) ? node.environment : 'production';
  return t('label.node', { environment: t(`environment-label.${environment}`) });
}

/** Sets up the dialog: rows that depend on the environment and auth mode, the advanced section. */
export function prepareConfigDialog(node: ConfigNode): void {
  const environment = $(`#${INPUT}-environment`);
  const authMode = $(`#${INPUT}-authMode`);

  const showEnvironment = (): void => {
    const value = String(environment.val());
    const url = value in ENVIRONMENT_URLS ? ENVIRONMENT_URLS[value as keyof typeof ENVIRONMENT_URLS] : '';
    $('#node-config-movilitas-url').text(url).toggle(url !== '');
    $('#node-config-movilitas-baseUrl-row').toggle(value === 'custom');
    RED.tray.resize();
  };
  const showAuthMode = (): void => {
    const dynamic = authMode.val() !== 'static';
    $('.node-config-movilitas-dynamic').toggle(dynamic);
    $('.node-config-movilitas-static').toggle(!dynamic);
    RED.tray.resize();
  };
  environment.on('change', showEnvironment);
  authMode.on('change', showAuthMode);
  showEnvironment();
  showAuthMode();

  // TLS and proxy pickers show only when their box is ticked (as in the core http request node).
  for (const [key, box] of OPTIONAL_CONFIGS) {
    const checkbox = $(`#node-config-movilitas-${box}`);
    const showPicker = (): void => {
      $(`#node-config-movilitas-${key}-row`).toggle(checkbox.is(':checked'));
      RED.tray.resize();
    };
    checkbox.prop('checked', Boolean(node[key])).on('change', showPicker);
    showPicker();
  }

  // The advanced section starts open when anything in it differs from the defaults.
  const section = $('#node-config-movilitas-advanced');
  const caret = $('#node-config-movilitas-advanced-toggle i');
  const setOpen = (open: boolean): void => {
    section.toggle(open);
    caret.toggleClass('fa-caret-down', open).toggleClass('fa-caret-right', !open);
    RED.tray.resize();
  };
  const changed = (Object.keys(ADVANCED_DEFAULTS) as Array<keyof ConfigProperties>).some(
    (key) => text(node[key]) !== ADVANCED_DEFAULTS[key],
  );
  setOpen(changed);
  $('#node-config-movilitas-advanced-toggle').on('click', (event) => {
    event.preventDefault();
    setOpen(!section.is(':visible'));
  });
}

/** Before the dialog's values are read: an unticked TLS or proxy box clears its picker. */
export function saveConfigDialog(): void {
  for (const [key, box] of OPTIONAL_CONFIGS) {
    // "_ADD_" is the picker's "none" entry, which Node-RED saves as "".
    if (!$(`#node-config-movilitas-${box}`).is(':checked')) $(`#${INPUT}-${key}`).val('_ADD_');
  }
}
