// Benchmark of the lvs.cf library: parse, lossless round trip (parseDocument + serialize) and one
// edit (a weight change through edit()) on generated files of 100, 1,000 and 10,000 virtual
// servers × 20 real servers, against JSON.parse + JSON.stringify of the same model in the same run.
//
//   node --import tsx bench/lvs-cf/run.ts [--sizes 100,1000,10000] [--rounds N]
//
// Prints a Markdown table of medians. Not a test: nothing here passes or fails.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parse, parseDocument, serialize, edit } from '../../lvs-cf/index.ts';
import { generate, SERVERS } from '../../testing/generated-lvs-cf.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

interface Row {
  virtuals: number;
  bytes: number;
  parse: number;
  roundTrip: number;
  edit: number;
  json: number;
}

function measure(virtuals: number, rounds: number): Row {
  const text = generate(virtuals);
  const model = parse(text).model;
  if (!model) throw new Error('the generated file does not parse');
  const middle = Math.floor(virtuals / 2);
  const weightEdit = [{ op: 'set' as const, target: { scope: 'server' as const, virtual: middle, server: 7 }, key: 'weight', value: 9 }];
  const check = edit(text, weightEdit);
  if (!check.ok || check.patch.length !== 1) throw new Error('the weight edit failed');
  const json = JSON.stringify(model);
  const t = { parse: [] as number[], roundTrip: [] as number[], edit: [] as number[], json: [] as number[] };
  // One warm-up round lets the JIT settle; the rounds after it are measured, interleaved so that
  // any drift in machine load hits every operation alike.
  for (let r = 0; r <= rounds; r++) {
    const p = time(() => parse(text));
    const rt = time(() => {
      if (serialize(parseDocument(text)) !== text) throw new Error('round trip lost bytes');
    });
    const e = time(() => edit(text, weightEdit));
    const j = time(() => JSON.stringify(JSON.parse(json)));
    if (r === 0) continue;
    t.parse.push(p);
    t.roundTrip.push(rt);
    t.edit.push(e);
    t.json.push(j);
  }
  return { virtuals, bytes: text.length, parse: median(t.parse), roundTrip: median(t.roundTrip), edit: median(t.edit), json: median(t.json) };
}

function main(argv: string[]): void {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const sizes = (arg('--sizes') ?? '100,1000,10000').split(',').map(Number);
  const fixedRounds = arg('--rounds');
  const rows = sizes.map((n) => measure(n, fixedRounds ? Number(fixedRounds) : n >= 10000 ? 5 : n >= 1000 ? 9 : 21));
  const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const out = [
    `lvs-cf benchmark — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ${SERVERS} real servers per virtual server, medians in ms`,
    '',
    '| virtual servers | file size | JSON parse+stringify | parse | round trip (parse+serialize) | edit (one weight) | parse / JSON | round trip / JSON | edit / JSON | round trip per virtual server |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.virtuals.toLocaleString('en')} | ${(r.bytes / 1024 / 1024).toFixed(2)} MiB | ${ms(r.json)} | ${ms(r.parse)} | ${ms(r.roundTrip)} | ${ms(r.edit)} | ${ratio(r.parse, r.json)} | ${ratio(r.roundTrip, r.json)} | ${ratio(r.edit, r.json)} | ${((r.roundTrip / r.virtuals) * 1000).toFixed(1)} µs |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
