// The systemd units of deploy/systemd as an installed system loads them: `systemd-analyze verify`
// has nothing to say about them (any line it prints fails the test: it exits 0 on unknown keys and
// bad values), and `systemd-analyze security` scores them no worse than docs/deploy.md reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../testing/paths.ts';
import { missingTool } from '../../testing/requirements.ts';
import { makeUnitRoot, repoUnits, UNITS } from './lib/unit-root.ts';

const skip = missingTool('systemd-analyze') ?? false;

function analyze(units: Record<string, string>, args: string[]): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), 'piranha-units-'));
  try {
    makeUnitRoot(root, units);
    const r = spawnSync('systemd-analyze', [...args.slice(0, 1), `--root=${root}`, ...args.slice(1)], { encoding: 'utf8' });
    // Messages name the scratch root; say the unit's name instead.
    return { status: r.status, output: (r.stdout + r.stderr).replaceAll(root, '') };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('systemd-analyze verify: nothing to report on either unit', { skip }, () => {
  const r = analyze(repoUnits(), ['verify', ...UNITS]);
  assert.equal(r.output, '');
  assert.equal(r.status, 0);
});

test('the verify check can fail: an unknown key, a bad value, a missing program are reported', { skip }, () => {
  const units = repoUnits();
  units['piranha-agent.service'] = units['piranha-agent.service']!.replace('UMask=0077', 'UMask=0077\nProtectSystm=strict\nProtectHome=sometimes');
  units['piranha-gui.service'] = units['piranha-gui.service']!.replace('ExecStart=/usr/local/bin/piranha-gui', 'ExecStart=/usr/local/bin/piranha-web');
  const r = analyze(units, ['verify', ...UNITS]);
  assert.match(r.output, /Unknown key 'ProtectSystm'/);
  assert.match(r.output, /ProtectHome.*sometimes|sometimes.*ProtectHome|protect home/i);
  assert.match(r.output, /piranha-web/);
});

/** The exposure scores docs/deploy.md reports, unit → score. */
function documentedScores(): Map<string, number> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
  return new Map([...doc.matchAll(/^\| `(piranha-[a-z]+\.service)` \| (\d+\.\d) /gm)].map((m) => [m[1]!, Number(m[2])]));
}

const offline = skip || spawnSync('systemd-analyze', ['--help'], { encoding: 'utf8' }).stdout.includes('--offline') ? skip : 'missing tool: systemd-analyze --offline (systemd 250 or later)';

test('systemd-analyze security: each unit scores no worse than docs/deploy.md says', { skip: offline }, () => {
  const documented = documentedScores();
  assert.deepEqual([...documented.keys()].sort(), [...UNITS].sort(), 'docs/deploy.md reports both units');
  for (const unit of UNITS) {
    const r = analyze(repoUnits(), ['security', '--offline=true', unit]);
    const score = Number(/Overall exposure level for \S+: (\d+\.\d)/.exec(r.output)?.[1]);
    assert.ok(Number.isFinite(score), r.output);
    assert.ok(score <= documented.get(unit)!, `${unit}: exposure ${score}, docs/deploy.md says ${documented.get(unit)}\n${r.output}`);
  }
});
