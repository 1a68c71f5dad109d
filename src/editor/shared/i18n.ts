// Look-ups in a node's message catalogue (src/locales/<lang>/<type>.json).
//
// Node-RED loads each node file's catalogue under the namespace of its node set, "<module>/<type>"
// ("node-red" for nodes outside a module), before it runs the editor code, and every catalogue
// here has one top-level key equal to the type. `catalogue(type)` gives a look-up that adds
// both, so it also works where the node's own `this._` does not exist yet (the `label`s of
// `defaults`, read when the type is registered).
import type { Translate } from './red';

const MODULE = 'node-red-contrib-movilitas';
const cache: Record<string, Translate> = {};

export function catalogue(type: string): Translate {
  let translate = cache[type];
  if (!translate) {
    const set = RED.nodes.registry.getNodeSetForType(type) as { id?: unknown; module?: unknown } | undefined;
    let namespace = `${MODULE}/${type}`;
    if (set && set.module === 'node-red') namespace = 'node-red';
    else if (set && typeof set.id === 'string') namespace = set.id;
    translate = (key, subs) => RED._(`${namespace}:${type}.${key}`, subs);
    cache[type] = translate;
  }
  return translate;
}
