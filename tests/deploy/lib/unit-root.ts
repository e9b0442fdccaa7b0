// A scratch filesystem root in which `systemd-analyze --root` loads our units as an installed
// system would: the distribution's own units (the targets ours depend on), ours in
// etc/systemd/system, and every program an Exec line names at that path (verify refuses a unit
// whose program is missing). Our programs are the repository's bin/*.js; the others the host's.
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { REPO_ROOT as REPO } from '../../../testing/paths.ts';

export const UNITS_DIR = join(REPO, 'deploy', 'systemd');
export const UNITS = ['piranha-agent.service', 'piranha-gui.service'];

/** The absolute programs of a unit's Exec*= lines (prefixes such as `-` or `!` removed). */
export function execPrograms(unitText: string): string[] {
  return [...unitText.matchAll(/^Exec\w+=[-@:+!]*(\/\S+)/gm)].map((m) => m[1]!);
}

/** Our units as in the repository, name → text. */
export function repoUnits(): Record<string, string> {
  return Object.fromEntries(UNITS.map((u) => [u, readFileSync(join(UNITS_DIR, u), 'utf8')]));
}

/** Fills `root` with the units in `unitTexts` (name → text) and what they need to load. */
export function makeUnitRoot(root: string, unitTexts: Record<string, string>): void {
  // /bin, /sbin, /lib as the host has them (links into /usr on a merged-/usr system).
  for (const top of ['/bin', '/sbin', '/lib']) {
    if (!lstatSync(top, { throwIfNoEntry: false })?.isSymbolicLink()) continue;
    const link = readlinkSync(top);
    mkdirSync(join(root, resolve('/', link)), { recursive: true });
    symlinkSync(link, join(root, top));
  }
  const systemUnits = realpathSync('/lib/systemd/system');
  mkdirSync(join(root, dirname(systemUnits)), { recursive: true });
  cpSync(systemUnits, join(root, systemUnits), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  for (const [name, text] of Object.entries(unitTexts)) {
    writeFileSync(join(root, 'etc/systemd/system', name), text);
    for (const program of execPrograms(text)) {
      const source = basename(program).startsWith('piranha-') ? join(REPO, 'bin', `${basename(program)}.js`) : program;
      // A program that exists nowhere stays missing: verify is to say so.
      if (!existsSync(source)) continue;
      const target = join(root, program);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(realpathSync(source), target);
    }
  }
}
