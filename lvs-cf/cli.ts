// `lvs-cf`: check, format, dump and translate lvs.cf files from the command line.
import { readFileSync, statSync } from 'node:fs';
import { parseChunked } from './chunked-parse.ts';
import { parse, parseDocument, serialize, canonical, formatDiagnostic, toIpvsadm, decodeConfigFile, encodeConfigText, type ConfigText } from './index.ts';

const USAGE = `usage: lvs-cf check FILE...        exit 0 when every file is valid, else 1 with one line per problem
       lvs-cf fmt [--canonical] FILE  print the file (unchanged bytes, or the GUI's layout with --canonical)
       lvs-cf json FILE               print the model as JSON
       lvs-cf ipvsadm FILE            print the ipvsadm-restore lines the file means`;

export class InputError extends Error {}

/**
 * Reads a file as text (UTF-8, else Latin-1: the daemons read bytes), refusing what is not an lvs.cf
 * file at all: a directory, binary data.
 */
export function readConfigFile(path: string): ConfigText {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${path}: no such file` : code === 'EACCES' ? `${path}: permission denied` : `${path}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new InputError(`${path}: is a directory, not an lvs.cf file`);
  if (!st.isFile()) throw new InputError(`${path}: is not a regular file`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'EACCES' ? `${path}: permission denied` : `${path}: cannot be read (${(e as Error).message})`);
  }
  const nul = buf.indexOf(0);
  if (nul >= 0) throw new InputError(`${path}: binary file (NUL byte at offset ${nul}), not an lvs.cf file`);
  return decodeConfigFile(buf);
}

export async function main(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [cmd, ...rest] = argv;
  // `lvs-cf fmt FILE | head` closes the pipe early: that is not an error.
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const write = (s: string | Buffer) => out.write(s);
  try {
    switch (cmd) {
      case 'check': {
        if (!rest.length) throw new UsageError('check needs at least one FILE');
        let failed = false;
        for (const file of rest) {
          let input: ConfigText;
          try {
            input = readConfigFile(file);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
            err.write(`${e.message}\n`);
            failed = true;
            continue;
          }
          const { text, note } = input;
          // In pieces: a 26 MB file's whole syntax tree would cost ten times its size in memory.
          const r = parseChunked(text);
          for (const d of note ? [note, ...r.diagnostics] : r.diagnostics) write(`${formatDiagnostic(d, text, file)}\n`);
          if (!r.ok) failed = true;
        }
        return failed ? 1 : 0;
      }
      case 'fmt': {
        const canon = rest.includes('--canonical');
        const files = rest.filter((a) => a !== '--canonical');
        if (files.length !== 1) throw new UsageError('fmt takes exactly one FILE');
        const { text, encoding } = readConfigFile(files[0]!);
        const doc = parseDocument(text);
        const errors = doc.result.diagnostics.filter((d) => d.severity === 'error');
        if (canon && errors.length) {
          for (const d of errors) err.write(`${formatDiagnostic(d, text, files[0]!)}\n`);
          return 1;
        }
        // The bytes of the file's own encoding: `fmt` of an unchanged file is the file.
        write(encodeConfigText(canon ? canonical(text) : serialize(doc), encoding));
        return 0;
      }
      case 'json':
      case 'ipvsadm': {
        if (rest.length !== 1) throw new UsageError(`${cmd} takes exactly one FILE`);
        const { text } = readConfigFile(rest[0]!);
        const r = parse(text);
        if (!r.ok || !r.model) {
          for (const d of r.diagnostics.filter((x) => x.severity === 'error')) err.write(`${formatDiagnostic(d, text, rest[0]!)}\n`);
          return 1;
        }
        write(cmd === 'json' ? `${JSON.stringify(r.model, null, 2)}\n` : toIpvsadm(r.model).map((l) => `${l}\n`).join(''));
        return 0;
      }
      case '-h':
      case '--help':
        write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(cmd ? `unknown command "${cmd}"` : 'no command given');
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`lvs-cf: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      err.write(`lvs-cf: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

class UsageError extends Error {}
