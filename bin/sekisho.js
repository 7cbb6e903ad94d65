#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The `sekisho` command. TypeScript runs natively on Node 24 (type stripping); an older Node
// would fail on the first .ts import with an obscure error, so say what to do instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `sekisho: Node.js 24 or later is needed, this is ${process.version}.\n` +
      '  Run it through npm, which uses the Node 24 the project pins: npx sekisho … or npm start.\n',
  );
  process.exit(1);
}
await import('../src/main/cli.ts');
