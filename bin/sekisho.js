#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
// The `sekisho` command. TypeScript runs natively on Node 24 (type stripping).
import '../src/main/cli.ts';
