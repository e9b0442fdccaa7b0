import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLine, isJournalStream, pinoLevelPriority } from './journal.ts';

test('isJournalStream: only when JOURNAL_STREAM names this very descriptor', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'piranha-journal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fd = openSync(join(dir, 'a'), 'w');
  const other = openSync(join(dir, 'b'), 'w');
  t.after(() => [fd, other].forEach((f) => closeSync(f)));
  const st = fstatSync(fd);
  const env = { JOURNAL_STREAM: `${st.dev}:${st.ino}` };
  assert.equal(isJournalStream(fd, env), true);
  assert.equal(isJournalStream(other, env), false, 'inherited by a child whose output goes elsewhere');
  assert.equal(isJournalStream(fd, {}), false);
  assert.equal(isJournalStream(9999, env), false, 'a closed descriptor');
});

const time = new Date('2026-01-02T03:04:05.678Z');

test('formatLine: the time and name off the journal, continuation lines indented', () => {
  assert.equal(formatLine({ name: 'piranha-agent', journal: false }, 'error', 'refused:\nwhy', time), '2026-01-02T03:04:05.678Z piranha-agent: refused:\n    why\n');
});

test('formatLine: in the journal, the priority, one line, no code frame', () => {
  const msg = 'reload refused:\n/etc/lvs.cf:15:18: error[X]: bad\n  14 |  port = 80\n> 15 |  scheduler = fastest\n     |              ^^^^\n';
  assert.equal(formatLine({ name: 'piranha-agent', journal: true }, 'error', msg, time), '<3>reload refused: | /etc/lvs.cf:15:18: error[X]: bad\n');
  assert.equal(formatLine({ name: 'x', journal: true }, 'info', 'role standby -> active', time), '<6>role standby -> active\n');
  assert.equal(formatLine({ name: 'x', journal: true }, 'debug', 'd', time), '<7>d\n');
});

test('pino levels as syslog priorities', () => {
  assert.deepEqual([10, 20, 30, 40, 50, 60].map(pinoLevelPriority), [7, 7, 6, 4, 3, 2]);
});
