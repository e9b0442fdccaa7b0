// VIRTUAL SERVERS of a large file (given a model and a view, produces): the search over names,
// VIPs, ports and real servers; the orders; the page and the page holding a selected row; the view
// as a query string and back, bad values falling back to the defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listQuery, queryString, virtualPage } from './virtual-list.ts';
import { cfg, rs, vs } from '../testing/model.ts';

const model = cfg(
  Array.from({ length: 250 }, (_, i) =>
    vs(`vs${i}`, `10.1.${i >> 8}.${i & 255}`, 80 + (i % 3), [rs('a', `172.16.0.${(i % 7) + 1}`, 80), rs(`r${i}`, `172.17.${i >> 8}.${i & 255}`, 8080)], { active: i % 10 !== 0 }),
  ),
);

test('the first page in lvs.cf order, with counts', () => {
  const p = virtualPage(model, listQuery({}));
  assert.equal(p.rows.length, 100);
  assert.deepEqual([p.total, p.all, p.page, p.pages, p.from, p.to], [250, 250, 1, 3, 1, 100]);
  assert.deepEqual(p.rows.slice(0, 2).map((r) => [r.index, r.name, r.vip, r.port, r.active]), [[0, 'vs0', '10.1.0.0', '80', false], [1, 'vs1', '10.1.0.1', '81', true]]);
  const last = virtualPage(model, listQuery({ page: '3' }));
  assert.deepEqual([last.rows.length, last.from, last.to], [50, 201, 250]);
  assert.equal(virtualPage(model, listQuery({ page: '99' })).page, 3, 'past the end: the last page');
});

test('search: name, VIP, port, VIP:port, real server name or address (and through which real server)', () => {
  const names = (q: string) => virtualPage(model, listQuery({ q, per: '500' })).rows.map((r) => r.name);
  assert.deepEqual(names('vs24'), ['vs24', 'vs240', 'vs241', 'vs242', 'vs243', 'vs244', 'vs245', 'vs246', 'vs247', 'vs248', 'vs249']);
  assert.deepEqual(names('10.1.0.17'), ['vs17', 'vs170', 'vs171', 'vs172', 'vs173', 'vs174', 'vs175', 'vs176', 'vs177', 'vs178', 'vs179']);
  assert.deepEqual(names('10.1.0.17:82'), ['vs17']);
  assert.deepEqual(names('10.1.0.17'), names('10.1.0.17').filter((n) => n.startsWith('vs17')), 'a VIP is text: 10.1.0.170 contains it');
  assert.deepEqual(names('r199'), ['vs199']);
  const byHost = virtualPage(model, listQuery({ q: '172.16.0.3', per: '500' }));
  assert.equal(byHost.total, 36, 'the host shared by every seventh virtual server');
  assert.deepEqual(byHost.rows[0]!.via, ['a 172.16.0.3'], 'matched through its real server');
  assert.equal(virtualPage(model, listQuery({ q: 'VS1' })).total, 111, 'case-insensitive');
  assert.equal(virtualPage(model, listQuery({ q: 'no such' })).total, 0);
});

test('orders: name, virtual IP (numeric), port, status (down first)', () => {
  const first = (sort: string) => virtualPage(model, listQuery({ sort, per: '25' })).rows.slice(0, 3).map((r) => r.name);
  assert.deepEqual(first('name'), ['vs0', 'vs1', 'vs10']);
  assert.deepEqual(first('vip'), ['vs0', 'vs1', 'vs2']);
  assert.deepEqual(first('port'), ['vs0', 'vs3', 'vs6']);
  assert.deepEqual(first('status'), ['vs0', 'vs10', 'vs20']);
  assert.deepEqual(virtualPage(model, listQuery({ sort: 'vip', page: '3' })).rows.at(-1)!.name, 'vs249', '10.1.0.255 < 10.1.1.0');
});

test('a selected row without a page asked: the page that holds it', () => {
  assert.equal(virtualPage(model, listQuery({}), 230, false).page, 3);
  assert.equal(virtualPage(model, listQuery({ page: '1' }), 230, true).page, 1, 'a page asked for wins');
});

test('the view in the URL: defaults left out, bad values back to the defaults', () => {
  const q = listQuery({ q: ' web ', sort: 'vip', page: '2', per: '50' });
  assert.equal(queryString(q), '?q=web&sort=vip&per=50&page=2');
  assert.equal(queryString(q, { page: 1 }), '?q=web&sort=vip&per=50');
  assert.equal(queryString(listQuery({})), '');
  assert.deepEqual(listQuery({ sort: 'evil', page: '-1', per: '7', q: ['a', 'b'] }), { q: 'a', sort: 'file', page: 1, per: 100 });
  assert.equal(listQuery({ q: 'x'.repeat(201) }).q, '', 'too long: no search');
});
