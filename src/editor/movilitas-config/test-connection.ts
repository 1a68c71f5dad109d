// The dialog's "Test connection" button: sends the dialog's current values to the package's
// admin endpoint (POST movilitas/test-connection, see src/nodes/movilitas-config.ts), which
// checks them against the API, and shows the outcome below the button in plain words.
//
// Password credentials that were not typed again show as Node-RED's placeholder `__PWRD__`.
// When this editor session holds the value (typed earlier, not deployed yet) it is sent; else
// the placeholder goes, and the runtime uses the saved credential of this config node's id.
import { catalogue } from '../shared/i18n';
import type { EditorNode } from '../shared/red';
import { TYPE, type ConfigProperties } from './settings';

const INPUT = 'node-config-input';
const PLACEHOLDER = '__PWRD__';
const CREDENTIALS = ['apiKey', 'apiSecret', 'token', 'channelKey'] as const;

/** What the endpoint answers (the part shown here). */
interface TestResult {
  ok: boolean;
  result: string;
  authMode?: 'dynamic' | 'static';
  baseUrl?: string;
  message: string;
  detail?: string;
  code?: string;
  statusCode?: number;
}

/** A picker's value, "" for its "none"/"add new" entry or when its box is not ticked. */
function pickerValue(key: 'tls' | 'proxy', box: string): string {
  if (!$(`#node-config-movilitas-${box}`).is(':checked')) return '';
  const value = String($(`#${INPUT}-${key}`).val() ?? '');
  return value === '_ADD_' ? '' : value;
}

/** The dialog's current values, as the endpoint takes them. */
export function dialogValues(node: EditorNode<ConfigProperties>): Record<string, unknown> {
  const value = (name: string): string => String($(`#${INPUT}-${name}`).val() ?? '');
  const held = (node.credentials ?? {}) as Record<string, unknown>;
  const credentials: Record<string, string> = {};
  for (const name of CREDENTIALS) {
    const typed = value(name);
    const kept = held[name];
    credentials[name] = typed === PLACEHOLDER && typeof kept === 'string' && kept !== '' ? kept : typed;
  }
  return {
    id: node.id,
    environment: value('environment'),
    baseUrl: value('baseUrl'),
    authMode: value('authMode'),
    tokenHeader: value('tokenHeader'),
    timeout: value('timeout'),
    tls: pickerValue('tls', 'useTls'),
    proxy: pickerValue('proxy', 'useProxy'),
    credentials,
  };
}

/** The catalogue text for a result; the runtime's English text when the catalogue has none. */
function describe(result: TestResult): string {
  const t = catalogue(TYPE);
  const perMode = result.result === 'connected' || result.result === 'token-refused';
  const key = `test.result.${result.result}${perMode ? `-${result.authMode ?? 'dynamic'}` : ''}`;
  const text = t(key, { url: result.baseUrl ?? '', code: result.code ?? '', status: result.statusCode ?? '' });
  return text && !text.endsWith(key) ? text : result.message;
}

export function prepareTestButton(node: EditorNode<ConfigProperties>): void {
  const t = catalogue(TYPE);
  const button = $('#node-config-movilitas-test');
  const area = $('#node-config-movilitas-test-result');
  const icon = area.find('i.fa');
  const message = area.find('.node-config-movilitas-test-message');
  const detail = area.find('.node-config-movilitas-test-detail');

  const show = (state: 'busy' | 'ok' | 'failed', text: string, more = ''): void => {
    icon
      .removeClass('fa-spinner fa-spin fa-check-circle fa-exclamation-triangle')
      .addClass(state === 'busy' ? 'fa-spinner fa-spin' : state === 'ok' ? 'fa-check-circle' : 'fa-exclamation-triangle')
      .css('color', state === 'ok' ? '#3a8a27' : state === 'failed' ? '#c3362b' : '');
    message.text(text);
    detail.text(more).toggle(more !== '');
    area.attr('data-state', state).show();
    RED.tray.resize();
  };

  button.on('click', (event) => {
    event.preventDefault();
    button.prop('disabled', true);
    show('busy', t('test.testing'));
    $.ajax({
      url: 'movilitas/test-connection',
      type: 'POST',
      contentType: 'application/json',
      dataType: 'json',
      data: JSON.stringify(dialogValues(node)),
      timeout: 60_000,
    })
      .done((result: TestResult) => {
        show(result.ok ? 'ok' : 'failed', describe(result), result.ok ? '' : (result.detail ?? ''));
      })
      .fail((xhr: JQuery.jqXHR) => {
        const denied = xhr.status === 401 || xhr.status === 403;
        show('failed', denied ? t('test.forbidden') : t('test.request-failed', { status: xhr.status || '-' }));
      })
      .always(() => button.prop('disabled', false));
  });
}
