// What a test needs from the machine beyond Node: a program (named in scripts/tools.js with its
// Debian package) or root. Each returns null when the need is met, else the reason to skip, in a
// form scripts/run-tests.js recognises: under CI=true such a skip fails the run, since CI must
// install every program and run as root.
import { findTool, tool } from '../scripts/tools.js';

/** null when `command` is installed, else `missing tool: nft (apt-get install nftables)`. */
export function missingTool(command: string): string | null {
  const t = tool(command);
  return findTool(t) === null ? `missing tool: ${command} (apt-get install ${t.package})` : null;
}

/** null when running as root, else `missing privilege: <what> needs root`. */
export function missingRoot(what: string): string | null {
  return process.getuid?.() === 0 ? null : `missing privilege: ${what} needs root`;
}

/**
 * The argv that runs `argv` without root's privileges: as root, through setpriv with every
 * capability dropped (still uid 0, so the checkout is readable wherever it lives, but subject to
 * file modes like any user); as anyone else, unchanged.
 */
export function unprivileged(argv: string[]): string[] {
  if (process.getuid?.() !== 0) return argv;
  return ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--ambient-caps=-all', '--no-new-privs', '--', ...argv];
}
