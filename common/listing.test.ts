// Finding rows in long lists: the text search, the order of addresses, a page and its total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareAddresses, fewOf, pageOf, textMatcher } from './listing.ts';

test('textMatcher: case-insensitive part of a text; the needle is text, not a pattern; empty matches all', () => {
  const m = textMatcher('Web');
  assert.deepEqual(['web1', 'my-WEB', 'mail', null].map(m), [true, true, false, false]);
  assert.deepEqual(['a.b', 'axb'].map(textMatcher('a.b')), [true, false]);
  assert.deepEqual(['(x)', 'x'].map(textMatcher('(x')), [true, false]);
  assert.equal(textMatcher('  ')('anything'), true);
});

test('compareAddresses: dotted quads as numbers, host names after them', () => {
  const sorted = ['10.0.0.10', 'web.example', '10.0.0.9', '9.255.255.255', 'api.example'].sort(compareAddresses);
  assert.deepEqual(sorted, ['9.255.255.255', '10.0.0.9', '10.0.0.10', 'api.example', 'web.example']);
});

test('pageOf: the items of a page and the total; out of range is clamped', () => {
  const items = [1, 2, 3, 4, 5];
  assert.deepEqual(pageOf(items, 2, 2), { items: [3, 4], total: 5, offset: 2 });
  assert.deepEqual(pageOf(items, 4, 10), { items: [5], total: 5, offset: 4 });
  assert.deepEqual(pageOf(items, 9, 2), { items: [], total: 5, offset: 5 });
  assert.deepEqual(pageOf(items, 1, undefined), { items: [2, 3, 4, 5], total: 5, offset: 1 });
  assert.deepEqual(pageOf(items, -3, 1), { items: [1], total: 5, offset: 0 });
});

test('fewOf names the first n and counts the rest', () => {
  assert.equal(fewOf([], 3), '');
  assert.equal(fewOf(['a', 'b'], 3), 'a, b');
  assert.equal(fewOf(['a', 'b', 'c'], 3), 'a, b, c');
  assert.equal(fewOf(['a', 'b', 'c', 'd', 'e'], 3), 'a, b, c and 2 more');
  assert.equal(fewOf(['x', 'y', 'z'], 1, '; '), 'x and 2 more');
});
