// Allowlist semantics: the golden vectors of docs allowlist.md §2.4, IPv6, our documented
// divergences from Apache, a property test against an independent bitmask evaluator, and the
// watcher's reload behaviour on real files.
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, rm, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseAllowlist, isAllowed, AllowlistError, type AllowlistRules } from './allowlist.ts';
import { AllowlistWatcher } from './allowlist-watcher.ts';
import { tempRoot } from '../testing/temp.ts';

const rules = (...lines: string[]): AllowlistRules => parseAllowlist(lines.join('\n') + '\n', 'web/secure/.htaccess');
const REDHAT = rules('Order deny,allow', 'Deny from all', 'Allow from 192.168.1.100', 'Allow from 172.16.57');

/** Right now `by` lets in exactly `allowed` and keeps out `denied` (a failure names the addresses). */
function assertAccess(by: AllowlistRules | AllowlistWatcher, want: { allowed?: string[]; denied?: string[] }): void {
  const lets = (ip: string) => (by instanceof AllowlistWatcher ? by.check(ip) : isAllowed([by], ip));
  const addresses = [...(want.allowed ?? []), ...(want.denied ?? [])];
  const allowed = addresses.filter(lets);
  const denied = addresses.filter((a) => !allowed.includes(a));
  assert.deepEqual({ allowed, denied }, { allowed: want.allowed ?? [], denied: want.denied ?? [] });
}

describe('golden vectors (allowlist.md §2.4)', () => {
  const cases: Array<[number, AllowlistRules, string, boolean]> = [
    [1, REDHAT, '192.168.1.100', true],
    [2, REDHAT, '192.168.1.101', false],
    [3, REDHAT, '172.16.57.0', true],
    [3, REDHAT, '172.16.57.255', true],
    [4, REDHAT, '172.16.58.1', false],
    [4, REDHAT, '172.16.5.7', false],
    [5, REDHAT, '::ffff:172.16.57.9', true],
    [6, REDHAT, '127.0.0.1', false],
    [6, REDHAT, '::1', false],
    [7, rules('Order allow,deny', 'Allow from 10.1.0.0/255.255.0.0', 'Deny from 10.1.2.0/24'), '10.1.3.4', true],
    [7, rules('Order allow,deny', 'Allow from 10.1.0.0/255.255.0.0', 'Deny from 10.1.2.0/24'), '10.1.2.9', false],
    [7, rules('Order allow,deny', 'Allow from 10.1.0.0/255.255.0.0', 'Deny from 10.1.2.0/24'), '192.168.0.1', false],
    [8, rules('Order allow,deny', 'Deny from all', 'Allow from 10.0.0.1'), '10.0.0.1', false],
    [9, rules('Allow from 10.0.0.0/8'), '8.8.8.8', true],
    [10, rules('Order Deny,Allow', 'Deny from all', 'Allow from 10.1'), '10.10.0.1', false],
    [10, rules('Order Deny,Allow', 'Deny from all', 'Allow from 10.1'), '10.1.255.255', true],
    [11, rules('Order deny,allow', 'Deny from all', 'Allow from 10.1.2.3/16'), '10.1.200.1', true],
    [12, rules('Order deny,allow', 'Deny from all', 'Allow from 2001:db8::/32'), '2001:db8:1::5', true],
    [12, rules('Order deny,allow', 'Deny from all', 'Allow from 2001:db8::/32'), '2001:db9::1', false],
  ];
  for (const [n, r, ip, expect] of cases) {
    test(`#${n} ${ip} → ${expect ? 'allow' : 'deny'}`, () => {
      assert.equal(isAllowed([r], ip), expect);
    });
  }

  const errors: Array<[string, RegExp]> = [
    ['Order deny, allow', /Order takes exactly one argument/],
    ['Allow 10.0.0.1', /must be followed by "from"/],
    ['Allow from 10.0.0.0/0', /\/0 is not allowed/],
    ['Allow from 10.0.0.0/33', /prefix length must be a number from 1 to 32/],
    ['Allow from 256.1.1.1', /greater than 255/],
    ['Allow from 1.2.3.4.5', /more than four parts/],
    ['Allow from ::ffff:1.2.3.4', /IPv4-mapped/],
    ['Allow from 2001:db8::/129', /from 1 to 128/],
    ['Allow from 1.2.3.4 #c', /no comments are allowed here/],
    ['Allow from 10.1.0.0/255.0.255.0', /not contiguous/],
  ];
  for (const [line, message] of errors) {
    test(`#13 refuses "${line}" naming the line`, () => {
      const text = `# allowlist\nOrder deny,allow\nDeny from all\n${line}\n`;
      assert.throws(
        () => parseAllowlist(text, '/etc/sysconfig/ha/web/.htaccess'),
        (err: unknown) => {
          assert.ok(err instanceof AllowlistError);
          assert.equal(err.line, 4);
          assert.equal(err.file, '/etc/sysconfig/ha/web/.htaccess');
          assert.match(err.message, /^\/etc\/sysconfig\/ha\/web\/\.htaccess:4: /);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('Apache details', () => {
  test('keywords are case-insensitive, comments and blank lines are ignored, CRLF works', () => {
    const r = parseAllowlist('\uFEFF# lock down\r\n\r\n  ORDER ALLOW,DENY\r\nallow FROM 10.0.0.0/8\r\n\t# indented comment\r\n', 'f');
    assert.equal(r.order, 'allow,deny');
    assertAccess(r, { allowed: ['10.9.9.9'], denied: ['11.0.0.1'] });
  });

  test('several hosts on one line, and line continuations', () => {
    const r = rules('Order deny,allow', 'Deny from all', 'Allow from 10.0.0.1 192.168.0.0/16 \\', '  2001:db8::1');
    assertAccess(r, { allowed: ['10.0.0.1', '192.168.44.1', '2001:db8::1'], denied: ['2001:db8::2', '10.0.0.2'] });
  });

  test('partial addresses match by octet, with or without a trailing dot', () => {
    const r = rules('Order deny,allow', 'Deny from all', 'Allow from 172.16.57.', 'Allow from 10');
    // 172.16.570.1: not an address at all
    assertAccess(r, { allowed: ['172.16.57.200', '10.255.0.1'], denied: ['172.16.570.1', '100.0.0.1'] });
  });

  test('a full address is one host, not a network', () => {
    const r = rules('Order deny,allow', 'Deny from all', 'Allow from 172.16.57.0');
    assertAccess(r, { allowed: ['172.16.57.0'], denied: ['172.16.57.1'] });
  });

  test('Mutual-failure behaves like Allow,Deny', () => {
    const r = rules('Order Mutual-failure', 'Allow from 10.0.0.0/8', 'Deny from 10.0.0.5');
    assertAccess(r, { allowed: ['10.0.0.4'], denied: ['10.0.0.5', '192.0.2.1'] });
  });

  test('Deny,Allow: both matching means allowed; Deny only means denied', () => {
    const r = rules('Order deny,allow', 'Deny from 10.0.0.0/8', 'Allow from 10.1.0.0/16');
    assertAccess(r, { allowed: ['10.1.0.1', '192.0.2.1'], denied: ['10.2.0.1'] });
  });

  test('an empty file allows everyone (Deny,Allow with no match)', () => {
    assert.equal(isAllowed([parseAllowlist('', 'f')], '203.0.113.9'), true);
  });

  test('Satisfy All is accepted', () => {
    assert.equal(isAllowed([rules('Satisfy All', 'Order allow,deny', 'Allow from 127.0.0.1')], '127.0.0.1'), true);
  });
});

describe('IPv6', () => {
  test('full addresses, prefixes, host bits cleared, embedded IPv4 syntax', () => {
    const r = rules('Order deny,allow', 'Deny from all', 'Allow from 2001:db8::a00:20ff:fea7:ccea', 'Allow from fd00:1:2:3::9/64', 'Allow from ::1', 'Allow from 64:ff9b::192.0.2.0/120');
    assertAccess(r, {
      allowed: ['2001:db8::a00:20ff:fea7:ccea', '2001:DB8:0:0:A00:20FF:FEA7:CCEA', 'fd00:1:2:3:ffff::1', '::1', '64:ff9b::c000:2ff'],
      denied: ['2001:db8::a00:20ff:fea7:cceb', 'fd00:1:2:4::1', 'fe80::1%eth0'],
    });
  });

  test('IPv4 rules never match IPv6 clients and the other way round (except mapped peers)', () => {
    const v4 = rules('Order allow,deny', 'Allow from 127.0.0.1');
    assertAccess(v4, { allowed: ['::ffff:127.0.0.1', '::ffff:7f00:1'], denied: ['::1'] });
    const v6 = rules('Order allow,deny', 'Allow from ::/1');
    assertAccess(v6, { denied: ['127.0.0.1'] });
  });

  test('::a.b.c.d is an IPv6 address (IPv4-compatible), not IPv4-mapped as ipaddr.js reads it', () => {
    const r = rules('Order allow,deny', 'Allow from ::10.1.2.3');
    assertAccess(r, { allowed: ['::10.1.2.3', '::a01:203'], denied: ['10.1.2.3', '::ffff:10.1.2.3'] });
    assert.equal(isAllowed([rules('Order allow,deny', 'Allow from 10.1.2.3')], '::10.1.2.3'), false);
  });

  test('invalid IPv6 rules are refused', () => {
    for (const bad of ['1.2.3.4::', '::1.2.3.4:1', '2001:db8:::1', '2001:db8::1::2', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '2001:db8::/255.255.0.0', '12345::1', '::1/', '::01.2.3.4', '::1.2.3.256']) {
      assert.throws(() => rules(`Allow from ${bad}`), AllowlistError, bad);
    }
  });
});

describe('fail closed: our divergences from Apache', () => {
  const refused: Array<[string, RegExp]> = [
    ['Allow from 010.1.2.3', /leading zero/],
    ['Allow from 10.01', /leading zero/],
    ['Allow from 10.0.0.0/255.255.0.255', /not contiguous/],
    ['Allow from 10.0.0.0/0.0.0.0', /matches everyone/],
    ['Allow from 10.0.0.0/016', /prefix length/],
    ['Allow from example.org', /host names are not supported/],
    ['Deny from .evil.example', /host names are not supported/],
    ['Deny from env=bad_bot', /env= rules are not supported/],
    ['Allow from env=!let_me_in', /env= rules are not supported/],
    ['Allow from ١٠.0.0.1', /host names are not supported/], // Arabic-Indic digits are not ASCII digits
    ['Satisfy Any', /Satisfy Any is not supported/],
    ['Satisfy', /only "All" is supported/],
    ['Require ip 10.0.0.1', /unsupported directive "Require"/],
    ['AuthType Basic', /unsupported directive/],
    ['<Limit GET>', /sections such as <Limit/],
    ['Order "deny,allow"', /quoted arguments/],
    ['Order deny,allow\nOrder allow,deny', /Order is given twice \(first on line 2\)/],
    ['Allow from', /at least one host/],
    ['Order sideways', /unknown order/],
    ['Allow from 10.0/16', /four parts/],
  ];
  for (const [text, message] of refused) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseAllowlist(`# header\n${text}\n`, 'x/.htaccess'), (err: unknown) => {
        assert.ok(err instanceof AllowlistError);
        assert.ok(err.line >= 2, `line ${err.line}`);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  test('a client address that is not an IP address is refused', () => {
    assert.equal(isAllowed([rules('Allow from all')], 'localhost'), false);
    assert.equal(isAllowed([rules('Allow from all')], ''), false);
    assert.equal(isAllowed([rules('Allow from all')], '010.0.0.1'), false);
  });
});

describe('several files', () => {
  test('all files must allow; no files allows everyone', () => {
    const outer = rules('Order deny,allow', 'Deny from all', 'Allow from 10.0.0.0/8');
    const inner = rules('Order deny,allow', 'Deny from all', 'Allow from 10.1.0.0/16');
    assert.equal(isAllowed([outer, inner], '10.1.2.3'), true);
    assert.equal(isAllowed([outer, inner], '10.2.2.3'), false);
    assert.equal(isAllowed([], '203.0.113.1'), true);
    assert.equal(isAllowed([], 'not-an-ip'), true);
  });
});

// Reference evaluator written from the manual's table, on 32-bit integers, independent of the
// byte-wise matcher in allowlist.ts.
type RefRule = { text: string; net: number; bits: number } | { text: 'all' };
function refMatch(r: RefRule, ip: number): boolean {
  if (r.text === 'all') return true;
  const rr = r as { net: number; bits: number };
  const mask = rr.bits === 0 ? 0 : (0xffffffff << (32 - rr.bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((rr.net & mask) >>> 0);
}
const ipText = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

test('property: matches an independent bitmask evaluator on random rule sets', () => {
  const ruleArb = fc.oneof(
    fc.constant<RefRule>({ text: 'all' }),
    fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 0, max: 3 })).map(([net, bits, form]): RefRule => {
      if (form === 0) return { text: `${ipText(net)}/${bits}`, net, bits };
      if (form === 1) {
        const mask = (0xffffffff << (32 - bits)) >>> 0;
        return { text: `${ipText(net)}/${ipText(mask)}`, net, bits };
      }
      const octets = Math.max(1, Math.min(4, Math.ceil(bits / 8)));
      const parts = ipText(net).split('.').slice(0, octets).join('.');
      return { text: parts, net, bits: octets * 8 };
    }),
  );
  fc.assert(
    fc.property(
      fc.constantFrom('deny,allow', 'allow,deny', 'mutual-failure'),
      fc.array(ruleArb, { maxLength: 4 }),
      fc.array(ruleArb, { maxLength: 4 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.boolean(),
      (order, allow, deny, ip, mapped) => {
        const lines = [`Order ${order}`, ...allow.map((r) => `Allow from ${r.text}`), ...deny.map((r) => `Deny from ${r.text}`)];
        const parsed = parseAllowlist(lines.join('\n'), 'p');
        const a = allow.some((r) => refMatch(r, ip));
        const d = deny.some((r) => refMatch(r, ip));
        const expected = order === 'deny,allow' ? a || !d : a && !d;
        const client = mapped ? `::ffff:${ipText(ip)}` : ipText(ip);
        return isAllowed([parsed], client) === expected;
      },
    ),
    { numRuns: 20000 },
  );
});

describe('AllowlistWatcher', () => {
  /** The console's two allowlist files (not written yet) and their watcher, closed and removed after the test. */
  const setup = async (t: TestContext) => {
    const { root, remove } = await tempRoot('piranha-allow-');
    await mkdir(join(root, 'web', 'secure'), { recursive: true });
    const outer = join(root, 'web', '.htaccess');
    const inner = join(root, 'web', 'secure', '.htaccess');
    const watcher = new AllowlistWatcher({ files: [outer, inner] });
    t.after(() => {
      watcher.close();
      return remove();
    });
    return { outer, inner, watcher };
  };
  /** setup(), with the files given written, and the watcher started on them. */
  const watching = async (t: TestContext, files: { outer?: string; inner?: string }) => {
    const w = await setup(t);
    if (files.outer !== undefined) await writeFile(w.outer, files.outer);
    if (files.inner !== undefined) await writeFile(w.inner, files.inner);
    await w.watcher.start();
    return w;
  };

  test('no files: everyone is allowed and there are no problems', async (t) => {
    const { watcher } = await watching(t, {});
    assertAccess(watcher, { allowed: ['203.0.113.7'] });
    assert.deepEqual(watcher.problems(), []);
  });

  test('a change takes effect for the next check, both files apply, a deleted file stops applying', async (t) => {
    const { outer, inner, watcher } = await watching(t, { inner: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.0/8\n' });
    assertAccess(watcher, { allowed: ['127.0.0.2'], denied: ['10.0.0.1'] });

    // In-place rewrite of the same size, likely within the same kernel clock tick as the first
    // write: inode, size and possibly mtime stay the same, only the bytes differ.
    await writeFile(inner, 'Order deny,allow\nDeny from all\nAllow from 10.0.0.0/16\n');
    assertAccess(watcher, { allowed: ['10.0.0.1'], denied: ['127.0.0.2'] });

    // The outer file narrows it further: both must allow.
    await writeFile(outer, 'Order allow,deny\nAllow from 10.0.0\n');
    assertAccess(watcher, { allowed: ['10.0.0.1'], denied: ['10.0.1.1'] });

    // Atomic replace (new inode), as editors and writeFileAtomic do.
    await writeFile(`${inner}.new`, 'Order allow,deny\nAllow from all\nDeny from 10.0.0.1\n');
    await rename(`${inner}.new`, inner);
    assertAccess(watcher, { allowed: ['10.0.0.2'], denied: ['10.0.0.1'] });

    await rm(inner);
    assertAccess(watcher, { allowed: ['10.0.0.1'], denied: ['10.0.1.1'] });
    await rm(outer);
    assertAccess(watcher, { allowed: ['10.0.1.1', '203.0.113.1'] });
    assert.deepEqual(watcher.problems(), []);
  });

  test('a broken file keeps the previous rules and is reported until fixed', async (t) => {
    const { inner, watcher } = await watching(t, { inner: 'Order deny,allow\nDeny from all\nAllow from 127.0.0.1\n' });
    assertAccess(watcher, { allowed: ['127.0.0.1'] });

    await writeFile(inner, 'Order deny,allow\nDeny from all\nAllow from 127.0.0.1\nAllow from 192.168.1.0/255.0.255.0\n');
    assertAccess(watcher, { allowed: ['127.0.0.1'], denied: ['192.168.1.5'] });
    const problems = watcher.problems();
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, inner);
    assert.equal(problems[0].line, 4);
    assert.match(problems[0].message, /not contiguous/);

    await writeFile(inner, 'Order deny,allow\nDeny from all\nAllow from 192.168.1.0/24\n');
    assertAccess(watcher, { allowed: ['192.168.1.5'], denied: ['127.0.0.1'] });
    assert.deepEqual(watcher.problems(), []);
  });

  test('a file that was never valid denies everyone (fail closed) and is reported', async (t) => {
    const { outer, watcher } = await watching(t, { outer: 'Order deny,allow\nDeny from evil.example\n' });
    assertAccess(watcher, { denied: ['127.0.0.1'] });
    assert.equal(watcher.problems()[0].line, 2);
    assert.match(watcher.problems()[0].message, /host names are not supported/);
    await rm(outer);
    assertAccess(watcher, { allowed: ['127.0.0.1'] });
    assert.deepEqual(watcher.problems(), []);
  });

  test('a path that cannot be read as a file is reported and fails closed', async (t) => {
    const { inner, watcher } = await setup(t);
    await mkdir(inner); // a folder where the file should be
    await watcher.start();
    assertAccess(watcher, { denied: ['127.0.0.1'] });
    assert.equal(watcher.problems().length, 1);
    assert.equal(watcher.problems()[0].file, inner);
  });

  test('onChange reports reloads without any request arriving', async () => {
    const { root, remove } = await tempRoot('piranha-allow-');
    const file = join(root, '.htaccess');
    const events: Array<{ file: string; ok: boolean }> = [];
    let notify: () => void = () => {};
    // The watch handle does not keep the process alive (persistent:false); this timer does, and
    // fails the test if no report arrives within a generous bound.
    let guard: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve, reject) => {
      notify = resolve;
      guard = setTimeout(() => reject(new Error('no onChange report within 10 s of the edit')), 10_000);
    });
    const watcher = new AllowlistWatcher({
      files: [file],
      onChange: (e) => {
        events.push({ file: e.file, ok: e.problem === null });
        if (e.problem !== null) notify();
      },
    });
    try {
      await watcher.start();
      await writeFile(file, 'Allow from nowhere.example\n');
      await seen; // fs.watch fired and the watcher re-read the file by itself
      assert.deepEqual(events.at(-1), { file, ok: false });
      assert.equal(watcher.problems().length, 1);
    } finally {
      clearTimeout(guard);
      watcher.close();
      await remove();
    }
  });
});
