// A local ESLint rule that keeps the layering of STYLE.md true.
// Each layer (a folder under src/) lists the folders it may import from; imports are
// resolved to real paths, so `../../x` tricks cannot slip past a string pattern.
import path from 'node:path';

/**
 * @typedef {{ from: string, allow: string[], packages?: string[], onlyThroughIndex?: string[] }} Layer
 * from: a folder relative to the project root; allow: folders it may import (its own is implicit);
 * packages: bare specifiers allowed besides `node:` built-ins (omit to allow any);
 * onlyThroughIndex: folders that may be imported only through their index.ts.
 */

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder under src/ imports only the folders below it.' },
    schema: [
      { type: 'object', properties: { root: { type: 'string' }, layers: { type: 'array' } } },
    ],
    messages: {
      outside: '{{file}} may not import {{target}}: {{layer}} may import only {{allowed}}.',
      pkg: '{{layer}} may not import the package "{{name}}" (allowed: node: built-ins{{extra}}).',
      index: 'Import {{dir}} only through {{dir}}/index.ts.',
    },
  },
  create(context) {
    const opts = context.options[0] ?? {};
    const root = opts.root ?? process.cwd();
    /** @type {Layer[]} */
    const table = opts.layers ?? [];
    const file = context.filename;
    const rel = path.relative(root, file).split(path.sep).join('/');
    const layer = table
      .filter((l) => rel === l.from || rel.startsWith(l.from + '/'))
      .sort((a, b) => b.from.length - a.from.length)[0];
    if (!layer) return {};

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (!spec.startsWith('.') && !spec.startsWith('/')) {
        if (spec.startsWith('node:') || !layer.packages) return;
        const name = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0];
        if (!layer.packages.includes(name)) {
          const extra = layer.packages.length ? ', ' + layer.packages.join(', ') : '';
          context.report({ node, messageId: 'pkg', data: { layer: layer.from, name, extra } });
        }
        return;
      }
      const target = path
        .relative(root, path.resolve(path.dirname(file), spec))
        .split(path.sep)
        .join('/');
      const inside = (dir) => target === dir || target.startsWith(dir + '/');
      const allowed = [layer.from, ...layer.allow];
      if (!allowed.some(inside)) {
        context.report({
          node,
          messageId: 'outside',
          data: { file: rel, target, layer: layer.from, allowed: allowed.join(', ') },
        });
        return;
      }
      for (const dir of layer.onlyThroughIndex ?? []) {
        if (inside(dir) && !inside(layer.from) && target !== dir + '/index.ts') {
          context.report({ node, messageId: 'index', data: { dir } });
        }
      }
    }

    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { layers } };
