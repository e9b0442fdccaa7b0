// The configuration holder: lvs.cf read in one place, a proposal changes nothing until adopted, an
// invalid file is refused and the configuration in use stays (it is always the last good one).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigState, findCheckTarget, NO_CONFIGURATION } from './config-state.ts';
import { ConfigInvalidError, NotFoundError } from './errors.ts';
import { targetsOf } from './service-plan.ts';
import { lvsCf, writeLvsCf, type TestVirtual } from '../testing/lvs-cf.ts';
import { tempRoot } from '../testing/temp.ts';
import { generate } from '../testing/generated-lvs-cf.ts';

const roots: (() => Promise<void>)[] = [];
after(async () => {
  for (const r of roots) await r();
});

const web: TestVirtual = {
  name: 'web', vip: '192.168.1.250', port: 80,
  servers: [{ name: 'a', address: '10.0.0.2', port: 80 }, { name: 'off', address: '10.0.0.9', port: 80, active: false }],
};

async function holder() {
  const t = await tempRoot('piranha-config-');
  roots.push(t.remove);
  const log: string[] = [];
  return { state: new ConfigState(t.root, (m) => log.push(m)), root: t.root, log };
}

/** `text` written as `root`/lvs.cf and read by `state`: a proposal that the read succeeded. */
async function readWritten(state: ConfigState, root: string, text: string) {
  await writeLvsCf(root, text);
  const p = await state.read();
  assert.ok(p.ok, JSON.stringify(p));
  return p;
}

test('a missing file proposes the empty configuration with a note, logged once when adopted', async () => {
  const { state, root, log } = await holder();
  assert.equal(state.path, `${root}/lvs.cf`);
  assert.equal(state.current, NO_CONFIGURATION);
  const p = await state.read();
  assert.ok(p.ok);
  assert.equal(p.config.model, null);
  assert.match(p.config.note!, /^no configuration at .*lvs\.cf; running with an empty one until it is created and reloaded$/);
  assert.equal(state.current, NO_CONFIGURATION, 'reading changes nothing');
  state.adopt(p.config);
  const again = await state.read();
  assert.ok(again.ok);
  state.adopt(again.config);
  assert.deepEqual(log, [p.config.note]);
  assert.equal(state.describe(), 'empty (no lvs.cf)');
});

test('a valid file: model, text, plan and targets; adopting logs the plan\'s problems', async () => {
  const { state, root, log } = await holder();
  const text = lvsCf({ serial: 4, virtuals: [web, { ...web, name: 'twin' }] });
  const p = await readWritten(state, root, text);
  assert.equal(p.config.text, text);
  assert.equal(p.config.model!.serial_no, 4);
  assert.deepEqual([...targetsOf(p.config.plan)].map((t) => `${t.serviceKey}>${t.realKey}`), ['tcp|192.168.1.250|80>10.0.0.2:80']);
  assert.equal(p.config.plan.checks.size, 1);
  assert.equal(state.adopt(p.config), 'all', 'the first configuration: every service is new');
  assert.deepEqual(log, ['virtual server twin maps to the same service (tcp|192.168.1.250|80) as web; only web is served']);
  assert.equal(state.describe(), 'serial 4');
});

test('an invalid file is refused: the configuration in use stays, the refusal is kept until a good file is adopted', async () => {
  const { state, root } = await holder();
  const good = await readWritten(state, root, lvsCf({ serial: 1, virtuals: [web] }));
  state.adopt(good.config);

  await writeLvsCf(root, lvsCf({ serial: 2, virtuals: [web] }).replace('scheduler = wlc', 'scheduler = fastest'));
  const bad = await state.read();
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /lvs\.cf:\d+:\d+: error\[.*\n[\s\S]*fastest/);
  state.refuse((bad as { message: string }).message);
  assert.equal(state.current.model, good.config.model, 'still the last good configuration');
  assert.equal(state.lastReloadError, (bad as { message: string }).message);

  const fixed = await readWritten(state, root, lvsCf({ serial: 3, virtuals: [web] }));
  state.adopt(fixed.config);
  assert.equal(state.lastReloadError, null);
  assert.equal(state.describe(), 'serial 3');
});

test('findCheckTarget: the planned check, one made for an inactive server, and errors naming what is missing', async () => {
  const { state, root } = await holder();
  assert.throws(() => findCheckTarget(state.current, 'web', 'a'), new NotFoundError('no configuration is loaded, so there is no virtual server web'));
  const p = await readWritten(state, root, lvsCf({ virtuals: [web] }));
  const c = p.config;
  assert.equal(findCheckTarget(c, 'web', 'a').key, c.plan.checks.keys().next().value, 'the planned check');
  const off = findCheckTarget(c, 'web', 'off');
  assert.equal(off.key, 'tcp|192.168.1.250|80>10.0.0.9:80');
  assert.equal(off.spec.address, '10.0.0.9');
  assert.throws(() => findCheckTarget(c, 'www', 'a'), new NotFoundError('no virtual server named www'));
  assert.throws(() => findCheckTarget(c, 'web', 'z'), new NotFoundError('virtual server web has no real server named z'));
});

test('a reload is planned against the configuration in use: adopting it names the services that changed', async () => {
  const { state, root } = await holder();
  const mail: TestVirtual = { name: 'mail', vip: '192.168.1.251', port: 25, servers: [{ name: 'm', address: '10.0.0.5', port: 25 }] };
  const first = await readWritten(state, root, lvsCf({ serial: 1, virtuals: [web, mail] }));
  state.adopt(first.config);
  const next = await readWritten(state, root, lvsCf({ serial: 2, virtuals: [web, { ...mail, servers: [{ ...mail.servers[0]!, weight: 5 }] }] }));
  // Read twice against the same configuration: the first adopted, the second is stale.
  const stale = await state.read();
  assert.ok(stale.ok);
  assert.deepEqual(state.adopt(next.config), new Set(['tcp|192.168.1.251|25']));
  assert.equal(state.adopt(stale.config), 'all', 'planned against a configuration no longer in use');
});

test('the file in use read again is not parsed again: the same model, nothing changed', async () => {
  const { state, root } = await holder();
  const first = await readWritten(state, root, lvsCf({ serial: 1, virtuals: [web] }));
  state.adopt(first.config);
  const again = await state.read();
  assert.ok(again.ok);
  assert.equal(again.config.model, first.config.model, 'the parsed model in use');
  assert.deepEqual(state.adopt(again.config), new Set());
  const changed = await readWritten(state, root, lvsCf({ serial: 2, virtuals: [web] }));
  assert.notEqual(changed.config.model, first.config.model, 'one byte changed: parsed');
  assert.equal(changed.config.model!.serial_no, 2);
});

test('a new version of a large file is read at the cost of its change, as a fresh read of the whole would read it', async () => {
  const { state, root } = await holder();
  const text = generate(300);
  await writeLvsCf(root, text);
  const first = await state.read();
  assert.ok(first.ok);
  assert.equal(state.lastReadLength, text.length);
  state.adopt(first.config);
  // A save of one weight (with the serial the console bumps): only that virtual server is parsed again.
  const at = text.indexOf('weight = ', Math.floor(text.length * 0.6));
  const bumped = text.replace('serial_no = 42', 'serial_no = 43');
  const saved = bumped.slice(0, at + 1) + bumped.slice(at + 1).replace(/weight = \d+/, 'weight = 9');
  await writeLvsCf(root, saved);
  const next = await state.read();
  assert.ok(next.ok);
  assert.ok(state.lastReadLength < text.length / 50, `${state.lastReadLength} characters parsed`);
  const fresh = new ConfigState(root, () => {});
  const whole = await fresh.read();
  assert.ok(whole.ok);
  assert.deepEqual(next.config.model, whole.config.model);
  assert.deepEqual(next.config.blocks, whole.config.blocks);
  assert.deepEqual(next.config.warnings, whole.config.warnings);
  const changed = state.adopt(next.config);
  assert.ok(changed !== 'all' && changed.size === 1, 'one service changed');
  // A change the library cannot vouch for piecewise is parsed whole, with the whole file's verdict.
  const broken = saved.replace(/weight = 9/, 'weight = x');
  await writeLvsCf(root, broken);
  const refused = await state.read();
  const wholeRefused = await new ConfigState(root, () => {}).read();
  assert.equal(refused.ok, false);
  assert.deepEqual(refused, wholeRefused);
  assert.equal(state.lastReadLength, broken.length);
});

test('load: adopts a valid file, or records the refusal and throws it as the invalid configuration', async () => {
  const { state, root } = await holder();
  await writeLvsCf(root, lvsCf({ serial: 1, virtuals: [web] }));
  assert.equal(await state.load(), 'all');
  assert.equal(state.describe(), 'serial 1');
  await writeLvsCf(root, lvsCf({ serial: 2, virtuals: [web] }).replace('scheduler = wlc', 'scheduler = fastest'));
  await assert.rejects(state.load(), (e: unknown) => e instanceof ConfigInvalidError && /fastest/.test(e.message));
  assert.match(state.lastReloadError ?? '', /fastest/);
  assert.equal(state.describe(), 'serial 1', 'the last good configuration stays');
});
