// history/: every kept version comes back byte for byte (random saves and hand edits, CRLF and
// Latin-1 files, pruning by count and age on the way), a one-line save costs a few hundred bytes,
// full copies written by older consoles are still read, and nothing is left half-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { tempRoot } from '../../testing/temp.ts';
import { encodeConfigText, decodeConfigFile, type Encoding } from '../../lvs-cf/index.ts';
import { generate } from '../../testing/generated-lvs-cf.ts';
import { HistoryStore } from './store.ts';
import { applyDelta, invertDelta, textDelta } from './text-delta.ts';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

/** Lines of a file in the shapes the library opens: LF or CRLF endings, Latin-1 characters, no final newline. */
const lineArb = fc.oneof(
  fc.constantFrom('serial_no = 1', 'virtual web {', '}', '     weight = 1', '', '# café', '   server rs1 {', 'primary = 10.0.0.1'),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, '')),
  fc.stringMatching(/^[a-z= ]{0,10}\u00e9?$/),
);
const eolArb = fc.constantFrom('\n', '\r\n');
const textArb = fc.tuple(fc.array(fc.tuple(lineArb, eolArb), { maxLength: 30 }), fc.boolean()).map(([ls, final]) => {
  const s = ls.map(([l, e]) => l + e).join('');
  return final || s === '' ? s : s.slice(0, s.endsWith('\r\n') ? -2 : -1);
});
/** One save's change of a text: lines replaced, inserted or removed at random places. */
const changeArb = fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), lineArb, eolArb), { minLength: 1, maxLength: 4 });

function change(text: string, ops: [number, string, string, string][]): string {
  const lines = text.split(/(?<=\n)/);
  for (const [at, op, line, eol] of ops) {
    const i = lines.length ? at % (lines.length + 1) : 0;
    if (op === 'insert' || i >= lines.length) lines.splice(i, 0, line + eol);
    else if (op === 'replace') lines[i] = line + eol;
    else lines.splice(i, 1);
  }
  return lines.join('');
}

test('a delta rebuilds the new text and its inverse the old one, byte for byte', () => {
  fc.assert(
    fc.property(textArb, changeArb, (a, ops) => {
      const b = change(a, ops);
      const d = textDelta(a, b);
      assert.equal(applyDelta(a, d), b);
      assert.equal(applyDelta(b, invertDelta(d)), a);
    }),
    { numRuns: 400 },
  );
});

test('every kept version restores byte for byte through random saves, hand edits and pruning', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      textArb,
      fc.constantFrom<Encoding>('utf8', 'latin1'),
      fc.array(fc.tuple(changeArb, fc.boolean()), { minLength: 1, maxLength: 14 }),
      fc.integer({ min: 1, max: 6 }),
      async (first, encoding, steps, keep) => {
        const tmp = await tempRoot('piranha-history-');
        try {
          let now = Date.parse('2026-01-01T00:00:00Z');
          const store = new HistoryStore(join(tmp.root, 'history'), { keep, maxAgeDays: 3 }, () => now);
          const seen = new Map<string, string>();
          let current = first;
          let serial = 1;
          for (const [ops, handEdit] of steps) {
            // A hand edit between saves: the store sees a file that is not its newest version.
            if (handEdit) current = change(current, [[3, 'insert', '# edited by hand', '\n']]);
            const next = change(current, ops) + `serial ${serial + 1}\n`;
            await store.record({
              old: { text: current, version: sha(current), encoding, exists: true, serial },
              next: { text: next, version: sha(next), serial: serial + 1 },
              patch: textDelta(current, next), user: 'piranha', client: '127.0.0.1', action: `save ${serial}`,
            });
            seen.set(sha(current), current);
            seen.set(sha(next), next);
            current = next;
            serial++;
            now += 12 * 3_600_000; // half a day between saves: the age limit prunes too
          }
          const kept = await store.list();
          assert.ok(kept.length >= 1 && kept.length <= keep + Math.max(1, Math.floor(keep / 10)) + 1, `${kept.length} kept with keep ${keep}`);
          assert.equal(kept[0]!.version, sha(current), 'the newest version is the last save');
          // A fresh store (a restarted console) rebuilds each version backward from the file and forward from a full copy.
          for (const s of [store, new HistoryStore(join(tmp.root, 'history'), { keep, maxAgeDays: 3 }, () => now)]) {
            for (const v of kept) {
              for (const cur of [{ text: current, version: sha(current) }, null]) {
                const got = await s.textOf(v.version!, cur);
                assert.ok(got, `version ${v.id} is readable`);
                assert.equal(got.text, seen.get(v.version!));
                // The bytes as the file held them: the same text in the file's encoding.
                assert.deepEqual(encodeConfigText(got.text, got.encoding), encodeConfigText(seen.get(v.version!)!, encoding));
              }
            }
          }
          assert.deepEqual((await readdir(join(tmp.root, 'history'))).filter((n) => n.endsWith('.tmp')), []);
        } finally {
          await tmp.remove();
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a one-line save of a 2.6 MB file adds well under 64 KB to history/', async (t) => {
  const tmp = await tempRoot('piranha-history-');
  t.after(() => tmp.remove());
  const dir = join(tmp.root, 'history');
  const store = new HistoryStore(dir, { keep: 100, maxAgeDays: 0 });
  let current = generate(1000);
  const sizeOf = async () => {
    let n = 0;
    for (const f of await readdir(dir)) n += (await stat(join(dir, f))).size;
    return n;
  };
  for (let i = 0; i < 5; i++) {
    const before = i === 0 ? 0 : await sizeOf();
    const next = current.replace(/^serial_no = \d+$/m, `serial_no = ${43 + i}`).replace(`weight = ${1 + (i % 4)}\n`, `weight = ${9 + i}\n`);
    await store.record({ old: { text: current, version: sha(current), encoding: 'utf8', exists: true, serial: 42 + i }, next: { text: next, version: sha(next), serial: 43 + i }, patch: textDelta(current, next), user: 'piranha', client: '127.0.0.1', action: 'edit real server' });
    const added = (await sizeOf()) - before;
    // The first save also keeps the file as found, once, as a full gzip copy.
    if (i > 0) assert.ok(added < 2048, `save ${i} added ${added} bytes`);
    current = next;
  }
  const oldest = (await store.list()).at(-1)!;
  assert.equal((await store.textOf(oldest.version!, { text: current, version: sha(current) }))!.text, generate(1000));
});

test('full copies written by older consoles stay readable and count toward the limits', async (t) => {
  const tmp = await tempRoot('piranha-history-');
  t.after(() => tmp.remove());
  const dir = join(tmp.root, 'history');
  await mkdir(dir);
  const latin1 = Buffer.from('serial_no = 3\r\nprimary = 10.0.0.1\r\n# caf\xe9\r\n', 'latin1');
  const text = decodeConfigFile(latin1).text;
  await writeFile(join(dir, `lvs.cf.2026-11-30T10-00-00-000Z.serial-3.${sha(text).slice(0, 16)}`), latin1);
  const store = new HistoryStore(dir, { keep: 100, maxAgeDays: 0 });
  const [legacy] = await store.list();
  assert.equal(legacy!.kind, 'legacy');
  assert.equal(legacy!.serial, 3);
  assert.equal(legacy!.time, '2026-11-30T10:00:00.000Z');
  const got = await store.textOf(sha(text), null);
  assert.deepEqual(encodeConfigText(got!.text, got!.encoding), latin1);
  const byId = await store.textOfId(legacy!.id, null);
  assert.equal(byId!.text, text);
  // With a limit of one version, the next save prunes the old copy.
  const small = new HistoryStore(dir, { keep: 1, maxAgeDays: 0 });
  const next = text.replace('serial_no = 3', 'serial_no = 4');
  await small.record({ old: { text, version: sha(text), encoding: 'latin1', exists: true, serial: 3 }, next: { text: next, version: sha(next), serial: 4 }, patch: textDelta(text, next), user: null, client: null, action: 'x' });
  assert.deepEqual((await readdir(dir)).sort(), ['0000000002.json', '0000000002.text.gz']);
  const only = await small.list();
  assert.equal(only.length, 1);
  assert.equal((await small.textOf(sha(next), null))!.text, next);
});
