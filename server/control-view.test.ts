// A view of CONTROL/MONITORING (given a query string, produces): the rate and its message, the
// search, state and pages, the query string that keeps it, and the pages asked of the agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controlQuery, controlView, snapshotView } from './control-view.ts';

test('the view of a query string, and back', () => {
  const v = controlView({ auto_update: '1', rate: '3', q: ' web ', state: 'down', tpage: '2', cpage: '4' });
  assert.deepEqual(v, { auto: true, rate: 3, rateText: '3', rateError: '', q: 'web', state: 'down', tpage: 2, cpage: 4 });
  assert.equal(controlQuery(v), '?auto_update=1&rate=3&q=web&state=down&tpage=2&cpage=4');
  assert.equal(controlQuery(v, { cpage: 1, tpage: 1 }), '?auto_update=1&rate=3&q=web&state=down');
  assert.equal(controlQuery(controlView({})), '');
});

test('bad values: the rate says so, the rest fall back', () => {
  const v = controlView({ rate: '0', state: 'sideways', tpage: 'x', cpage: '-2' });
  assert.equal(v.rate, 10);
  assert.match(v.rateError, /at least 1; using 10/);
  assert.deepEqual([v.state, v.tpage, v.cpage], ['all', 1, 1]);
});

test('the agent is asked for one page of each, problems first, and the real servers down', () => {
  assert.deepEqual(snapshotView(controlView({ q: 'web', tpage: '3', cpage: '2', state: 'up' })), {
    table: { search: 'web', sort: 'problem', offset: 20, limit: 10 },
    checkers: { search: 'web', state: 'up', sort: 'state', offset: 50, limit: 50 },
    down: { search: 'web', state: 'down', limit: 50 },
  });
  assert.deepEqual(snapshotView(controlView({})).checkers, { sort: 'state', offset: 0, limit: 50 });
});
