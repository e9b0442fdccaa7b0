// Property tests (fast-check): printing any model and parsing it back gives the model; no mutation
// of a real file makes the parser throw, lose bytes or report a problem nowhere; and no sequence of
// edits that edit() accepts yields a file that fails to parse. Runs are bounded to stay fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  parse, parseDocument, serialize, printModel, edit, applyPatch, formatDiagnostic,
  SCHEDULERS, NETWORKS, type Edit, type EditValue, type LvsConfig, type RealServer, type Target, type VirtualServer,
} from './index.ts';
import { splitLines } from './lexer.ts';
import { GLOBAL_KEYS, VIRTUAL_KEYS, SERVER_KEYS } from './keywords.ts';
import { CORPUS_DIR } from '../testing/paths.ts';

const corpus = readdirSync(CORPUS_DIR)
  .filter((f) => f.endsWith('.cf'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(CORPUS_DIR, f), 'utf8') }));

/** The model without the `line` fields (they depend on the layout, not on the meaning). */
function withoutLines(m: LvsConfig): unknown {
  const vs = (v: VirtualServer) => ({ ...v, line: 0, servers: v.servers.map((s) => ({ ...s, line: 0 })) });
  return { ...m, virtuals: m.virtuals.map(vs), failovers: m.failovers.map(vs) };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries for valid models.

const octet = fc.integer({ min: 0, max: 255 });
const ip = fc.tuple(fc.integer({ min: 1, max: 223 }), octet, octet, fc.integer({ min: 1, max: 254 })).map((p) => p.join('.'));
const hostname = fc.constantFrom('lvs1.example.com', 'router-b', 'web01.internal');
const host = fc.oneof({ weight: 4, arbitrary: ip }, { weight: 1, arbitrary: hostname });
const mask = fc.integer({ min: 1, max: 31 }).map((bits) => {
  const v = (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (v >>> s) & 255).join('.');
});
const int = fc.integer({ min: -2147483648, max: 2147483647 });
const word = fc.stringMatching(/^[A-Za-z0-9_./:@%+-]{1,24}$/);
const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,20}$/);
const device = fc.stringMatching(/^eth[0-9](:[0-9]{1,2})?$/);
// Text between double quotes: printable ASCII without the double quote.
const quoted = fc.stringMatching(/^[\x20\x21\x23-\x7e]{0,60}$/);
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const realServer: fc.Arbitrary<RealServer> = fc.record({
  name, address: fc.oneof(ip, fc.constant('0.0.0.0')), active: fc.boolean(), weight: int, port: int, line: fc.constant(0),
});

const virtualServer = (kind: 'virtual' | 'failover'): fc.Arbitrary<VirtualServer> =>
  fc
    .record({
      name, active: fc.boolean(), vip: nullable(fc.tuple(fc.oneof(ip, hostname), device)), vip_nmask: nullable(mask), sorry_server: nullable(ip),
      fwmark: fc.integer({ min: 0, max: 0xffffffff }), protocol: fc.constantFrom('tcp' as const, 'udp' as const), port: int,
      scheduler: fc.constantFrom(...SCHEDULERS), persistent: int, pmask: nullable(mask), send: nullable(quoted), expect: nullable(quoted),
      use_regex: fc.boolean(), send_program: nullable(quoted), load_monitor: nullable(word), timeout: int, reentry: int,
      quiesce_server: fc.boolean(), client_monitor: nullable(word), start_cmd: nullable(quoted), stop_cmd: nullable(quoted),
      servers: fc.array(realServer, { maxLength: 4 }),
    })
    .map(({ vip, ...rest }) => ({ kind, ...rest, address: vip ? vip[0] : null, device: vip ? vip[1] : null, line: 0 }));

const model: fc.Arbitrary<LvsConfig> = fc.record({
  serial_no: int, primary: nullable(host), primary_private: nullable(host), primary_shared: nullable(word), backup: nullable(fc.oneof(host, fc.constant('0.0.0.0'))),
  backup_private: nullable(host), backup_shared: nullable(word), backup_active: fc.boolean(), heartbeat: fc.boolean(), heartbeat_port: int,
  keepalive: int, deadtime: int, rsh_command: word, network: fc.constantFrom(...NETWORKS),
  nat_router: nullable(fc.record({ address: ip, device }).map((r) => ({ ...r }))), nat_nmask: nullable(mask), service: fc.constantFrom('lvs' as const, 'fos' as const),
  reservation_conflict_action: nullable(fc.constantFrom('nothing' as const, 'preempt' as const)), debug_level: word, monitor_links: int,
  syncdaemon: fc.boolean(), syncd_iface: word, syncd_id: int, tcp_timeout: int, tcpfin_timeout: int, udp_timeout: int, hard_shutdown: fc.boolean(),
  active_cmd: nullable(quoted), inactive_cmd: nullable(quoted), ipvsadm: word, sync: fc.boolean(),
  virtuals: fc.array(virtualServer('virtual'), { maxLength: 4 }), failovers: fc.array(virtualServer('failover'), { maxLength: 2 }),
});

test('random valid models: printModel then parse gives the same model', () => {
  fc.assert(
    fc.property(model, (m) => {
      const text = printModel(m);
      const r = parse(text);
      assert.ok(r.model, `no model for:\n${text}\n${JSON.stringify(r.diagnostics.slice(0, 3))}`);
      assert.deepEqual(withoutLines(r.model), withoutLines(m));
    }),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------------------------
// Mutations of the corpus.

const NASTY = ['\r', '\n', '\r\n', '"', "'", '{', '}', '#', '\0', '=', ' ', '\t', 'é', '中', '😀', '\uFFFD', '\u2028', 'a', '0', '[', ']'];

type Mutation = { op: 'insert' | 'replace'; at: number; s: string } | { op: 'delete'; at: number; n: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 3 })) }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), s: fc.constantFrom(...NASTY) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }),
);

function mutate(text: string, ms: Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = t.length ? m.at % (t.length + 1) : 0;
    if (m.op === 'insert') t = t.slice(0, at) + m.s + t.slice(at);
    else if (m.op === 'replace') t = t.slice(0, at) + m.s + t.slice(at + 1);
    else if (m.op === 'delete') t = t.slice(0, at) + t.slice(at + m.n);
  }
  return t;
}

test('random mutations of every corpus file: no exception, lossless, a model or positioned errors', () => {
  fc.assert(
    fc.property(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }), (file, ms) => {
      const t = mutate(file.text, ms);
      assert.equal(serialize(parseDocument(t)), t);
      const r = parse(t);
      const lines = Math.max(1, splitLines(t).length);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      assert.ok(r.model !== null || errors.length > 0, 'no model means an error says why');
      assert.equal(r.ok, errors.length === 0);
      for (const d of r.diagnostics) {
        assert.ok(d.line >= 0 && d.line <= lines, `${d.code} at line ${d.line} of ${lines}`);
        assert.ok(d.column >= 0 && d.length >= 0, `${d.code} position`);
        assert.equal(typeof formatDiagnostic(d, t, file.name), 'string');
      }
      if (r.model === null) assert.ok(errors.some((d) => d.line >= 1), 'a refused file has an error on a line');
    }),
    { numRuns: 500 },
  );
});

// ---------------------------------------------------------------------------------------------
// Random edit sequences.

const accepted = corpus.filter((f) => parse(f.text).ok);

/** Values that suit a key of each kind, and values no key should take. */
const GOOD_VALUES: Record<string, EditValue[]> = {
  int: [0, 1, 5, 60, '30'], bool: [true, false, '1', '0'], port: [80, 443, 8080, '21'], host: ['10.0.0.5', '192.168.7.1'],
  dotted: ['255.255.255.0', '10.0.0.7'], enum: [], string: ['none', 'ssh', 'GET / HTTP/1.0\\r\\n', '/usr/bin/check %h'],
  hostDevice: ['10.0.0.5 eth0:1', '10.0.0.6 eth0:2'], list: ['[ a ]'],
};
const HOSTILE: EditValue[] = [null, -1, 70000, '', '0.0.0.0', '255.0.255.0', 'x y', 'a\nb', '"', '{', '}', '#', 'é', 'x'.repeat(300)];
const KINDS = { ...SERVER_KEYS, ...VIRTUAL_KEYS, ...GLOBAL_KEYS };
const allKeys = [...Object.keys(KINDS), 'bogus'];
function goodValues(key: string): EditValue[] {
  const kind = KINDS[key];
  if (!kind) return HOSTILE;
  if (kind.kind === 'enum') return [...kind.values];
  return GOOD_VALUES[kind.kind]!;
}
const valueFor = (key: string) =>
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...goodValues(key)) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE) });
/** A `set` whose key belongs to its target's level (mostly: one in eight is a key from elsewhere). */
const setAt = (t: fc.Arbitrary<Target>, keys: Record<string, unknown>) =>
  fc
    .tuple(t, fc.oneof({ weight: 7, arbitrary: fc.constantFrom(...Object.keys(keys)) }, { weight: 1, arbitrary: fc.constantFrom(...allKeys) }))
    .chain(([target, key]) => valueFor(key).map((value): Edit => ({ op: 'set', target, key, value })));
const idx = fc.integer({ min: 0, max: 1 });
const target: fc.Arbitrary<Target> = fc.oneof(
  fc.constant({ scope: 'global' } as Target),
  idx.map((virtual) => ({ scope: 'virtual', virtual }) as Target),
  fc.tuple(idx, idx).map(([virtual, server]) => ({ scope: 'server', virtual, server }) as Target),
);
const anEdit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 2, arbitrary: setAt(fc.constant({ scope: 'global' } as Target), GLOBAL_KEYS) },
  { weight: 3, arbitrary: setAt(idx.map((virtual) => ({ scope: 'virtual', virtual }) as Target), VIRTUAL_KEYS) },
  { weight: 3, arbitrary: setAt(fc.tuple(idx, idx).map(([virtual, server]) => ({ scope: 'server', virtual, server }) as Target), SERVER_KEYS) },
  fc.record({ op: fc.constant('setActive' as const), target, active: fc.boolean() }),
  fc.record({ op: fc.constant('addVirtual' as const), name: fc.oneof(name, fc.constantFrom('a b', '{', 'x\ny')), fields: fc.constant({ address: '10.0.0.99 eth0:9' }) }),
  fc.record({ op: fc.constant('removeVirtual' as const), virtual: idx }),
  fc.record({ op: fc.constant('renameVirtual' as const), virtual: idx, name }),
  fc.record({ op: fc.constant('addServer' as const), virtual: idx, name: fc.oneof(name, fc.constant('}')), fields: fc.constant({ address: '10.0.1.99' }) }),
  fc.record({ op: fc.constant('removeServer' as const), virtual: idx, server: idx }),
  fc.record({ op: fc.constant('renameServer' as const), virtual: idx, server: idx, name }),
);

test('random edit sequences on the corpus: an accepted edit always parses, and its patch rebuilds it', () => {
  assert.ok(accepted.length >= 10);
  let applied = 0;
  fc.assert(
    fc.property(fc.constantFrom(...accepted), fc.array(anEdit, { minLength: 1, maxLength: 4 }), (file, edits) => {
      const r = edit(file.text, edits);
      if (!r.ok) {
        assert.ok(r.diagnostics.some((d) => d.severity === 'error'), 'a refusal says why');
        return;
      }
      applied++;
      const again = parse(r.text);
      assert.ok(again.ok, `edit() said ok but the text fails:\n${JSON.stringify(again.diagnostics.filter((d) => d.severity === 'error'))}`);
      assert.deepEqual(again.model, r.model);
      assert.equal(applyPatch(file.text, r.patch), r.text);
      assert.equal(serialize(parseDocument(r.text)), r.text);
    }),
    { numRuns: 400 },
  );
  // The generator must exercise accepted edits, not only refusals.
  assert.ok(applied > 60, `only ${applied} edit sequences were accepted`);
});
