/**
 * Config node `movilitas-config`: turns its properties and credentials into one
 * MovilitasClient shared by every node that uses it (one token, one concurrency limit, one
 * connection pool). Bad settings do not throw: they are kept as a `config` error that each
 * message reports on output 2, and logged once at deploy without any secret.
 */
import type { Node, NodeAPI } from 'node-red';
import { createDispatcher, MovilitasClient, ProxyOptions, resolveSettings, TlsOptions } from '../api';
import type { ConfigCredentials, ConfigNode, ConfigNodeDef } from './types';

/** How long a closing config node lets running calls finish before it cuts them off. */
const CONFIG_CLOSE_GRACE_MS = 8_000;

interface TlsConfigNode extends Node {
  addTLSOptions(opts: TlsOptions): TlsOptions;
}

interface HttpProxyNode extends Node<{ username?: string; password?: string }> {
  url?: string;
  noproxy?: string[];
}

export = function register(RED: NodeAPI): void {
  function MovilitasConfigNode(this: Node, def: ConfigNodeDef): void {
    RED.nodes.createNode(this, def);
    const node = this as ConfigNode;
    const credentials: ConfigCredentials = node.credentials ?? {};
    const resolved = resolveSettings({ ...def, ...credentials });
    for (const warning of resolved.warnings) node.warn(warning);
    if (!resolved.ok) {
      node.connection = { ok: false, error: resolved.error };
      node.error(resolved.error.message);
      return;
    }
    const settings = resolved.settings;
    const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : null;
    const proxyNode = def.proxy ? (RED.nodes.getNode(def.proxy) as HttpProxyNode | null) : null;
    const tls = tlsNode ? tlsNode.addTLSOptions({}) : undefined;
    let proxy: ProxyOptions | undefined;
    if (proxyNode?.url) {
      proxy = { url: proxyNode.url, noProxy: proxyNode.noproxy ?? [] };
      if (proxyNode.credentials?.username) {
        proxy.username = proxyNode.credentials.username;
        proxy.password = proxyNode.credentials.password ?? '';
      }
    }
    const dispatcher = createDispatcher({
      baseUrl: settings.baseUrl,
      ...(tls ? { tls } : {}),
      ...(proxy ? { proxy } : {}),
    });
    // Every credential it holds is redacted from what the API says, the unused ones too.
    const redact = Object.values(credentials).filter((v): v is string => typeof v === 'string');
    const client = new MovilitasClient({ settings, dispatcher, redact });
    node.connection = { ok: true, client };

    node.on('close', (_removed: boolean, done: () => void) => {
      // Release nodes close at the same time and wait for their own calls first.
      client
        .whenIdle(CONFIG_CLOSE_GRACE_MS)
        .then(() => client.close())
        .then(() => dispatcher.destroy())
        .catch(() => undefined)
        .finally(done);
    });
  }

  RED.nodes.registerType('movilitas-config', MovilitasConfigNode, {
    credentials: {
      apiKey: { type: 'password' },
      apiSecret: { type: 'password' },
      token: { type: 'password' },
      channelKey: { type: 'password' },
    },
  });
};
