/** Reading the PEM files named on a command line, with errors that name the option. */
import { readFileSync } from 'node:fs';
import { UsageError } from '../args.ts';

const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/;

/** Reads a PEM file given as option `-name`; refuses files that hold no PEM block. */
export function readPem(path: string, option: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    throw new UsageError(
      `-${option}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (data.length > 1024 * 1024) throw new UsageError(`-${option}: ${path} is larger than 1 MiB`);
  if (!PEM_RE.test(data.toString('latin1')))
    throw new UsageError(`-${option}: ${path} is not a PEM file`);
  return data;
}
