#!/usr/bin/env -S node --disable-warning=ExperimentalWarning --max-semi-space-size=1
// The `sekisho` command. TypeScript runs natively on Node 24 (type stripping); an older Node
// would fail on the first .ts import with an obscure error, so say what to do instead.
//
// When the compiled build in dist/ (made by `npm ci` through the prepare script, or by
// `npm run build`) is at least as new as every file under src/, it runs instead: the same code
// without the type-stripping compiler in memory (about 35 MB less resident memory for a
// long-running `sekisho start`). An edited src/ is always run as is.
//
// --max-semi-space-size=1 keeps V8's young generation small: an idle server needs no more,
// and each MiB of semi-space is resident memory.
import { readdirSync, statSync } from 'node:fs';
import { URL } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `sekisho: Node.js 24 or later is needed, this is ${process.version}.\n` +
      '  Run it through npm, which uses the Node 24 the project pins: npx sekisho … or npm start.\n',
  );
  process.exit(1);
}

/** The newest modification time of the files under `dir`, in ms. */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

let entry = '../src/main/cli.ts';
if (process.env.SEKISHO_FROM_SOURCE !== '1') {
  try {
    const built = statSync(new URL('../dist/main/cli.js', import.meta.url)).mtimeMs;
    if (built >= newest(new URL('../src/', import.meta.url))) entry = '../dist/main/cli.js';
  } catch {
    // No build: run the sources.
  }
}
await import(entry);
