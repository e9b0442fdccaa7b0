// Hostile input on every text field of every panel: a field-specific error and lvs.cf unchanged
// byte for byte (the original let a newline inject lines that ran as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeConsole } from '../testing/console.ts';
import { GLOBAL_OK, HOSTILE_EVERYWHERE, HOSTILE_UNQUOTED, REAL_OK, REDUNDANCY_OK, SCRIPTS_OK, VIRTUAL_OK } from '../testing/forms.ts';
import { SAMPLE } from '../testing/lvs-cf.ts';

const PANELS: { name: string; url: string; base: Record<string, string>; quoted: string[]; skip: string[] }[] = [
  { name: 'global', url: '/secure/global', base: GLOBAL_OK, quoted: [], skip: [] },
  { name: 'redundancy', url: '/secure/redundancy', base: REDUNDANCY_OK, quoted: [], skip: ['monitor_links', 'syncdaemon'] },
  { name: 'virtual', url: '/secure/virtual/0/edit', base: VIRTUAL_OK, quoted: [], skip: [] },
  { name: 'real', url: '/secure/virtual/0/real/0/edit', base: REAL_OK, quoted: [], skip: [] },
  { name: 'scripts', url: '/secure/virtual/0/scripts', base: SCRIPTS_OK, quoted: ['send_program', 'send', 'expect'], skip: ['use_regex'] },
];

test('every field refuses values that could corrupt lvs.cf, beside the field, without writing', async (t) => {
  const lvs = SAMPLE.replace('primary = 10.0.0.1\n', 'primary = 10.0.0.1\nprimary_private = 10.1.0.1\n').replace('backup_active = 0', 'backup_active = 1').replace('backup = 0.0.0.0', 'backup = 10.0.0.3\nbackup_private = 10.1.0.3');
  const c = await makeConsole(t, { lvs });
  let checked = 0;
  for (const panel of PANELS) {
    const page = await c.get(panel.url);
    assert.equal(page.statusCode, 200, panel.url);
    const h = c.hidden(page.body);
    for (const field of Object.keys(panel.base)) {
      if (panel.skip.includes(field)) continue;
      const values = panel.quoted.includes(field) ? HOSTILE_EVERYWHERE : [...HOSTILE_EVERYWHERE, ...HOSTILE_UNQUOTED];
      for (const value of values) {
        const res = await c.post(panel.url, { _csrf: h.csrf, version: h.version, ...panel.base, [field]: value });
        assert.equal(res.statusCode, 422, `${panel.name}.${field} = ${JSON.stringify(value)} gave ${res.statusCode}`);
        const error = new RegExp(`id="err-${field}" role="alert">([^<]+)<`).exec(res.body)?.[1];
        assert.ok(error, `${panel.name}.${field} = ${JSON.stringify(value)}: no error beside the field`);
        assert.equal(await c.lvs(), lvs, `${panel.name}.${field}: lvs.cf changed`);
        checked++;
      }
    }
  }
  assert.ok(checked > 300, `only ${checked} cases`);
});

test('names: spaces become _, everything else unsafe is refused', async (t) => {
  const c = await makeConsole(t, { lvs: SAMPLE });
  const ok = await c.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', { ...VIRTUAL_OK, name: '  web  farm  ' });
  assert.equal(ok.statusCode, 303);
  assert.match(await c.lvs(), /^virtual web_farm \{$/m);
  const before = await c.lvs();
  for (const name of ['a"b', "a'b", 'a{b', 'a}b', 'a#b', 'a\\b', 'a\tb', 'é', 'x'.repeat(65), '=']) {
    const res = await c.submit('/secure/virtual/0/edit', '/secure/virtual/0/edit', { ...VIRTUAL_OK, name });
    assert.equal(res.statusCode, 422, JSON.stringify(name));
    assert.match(res.body, /id="err-name" role="alert">[^<]+</);
  }
  assert.equal(await c.lvs(), before);
});
