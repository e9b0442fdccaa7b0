// The runnable blocks of a guide: its ```sh fences in order, each with the machines its first line
// names (`# on the primary`, `# on both routers`, …). A block whose first line names no known
// machine is an error, so that a new block cannot silently go unrun.
export type Machine = 'build' | 'primary' | 'backup';

export interface GuideBlock {
  /** 1-based line of the block's first line in the guide. */
  line: number;
  machines: Machine[] | 'settings';
  script: string;
}

const PLACES: [RegExp, Machine[] | 'settings'][] = [
  [/^# settings\b/, 'settings'],
  [/^# on the build machine\b/, ['build']],
  [/^# on both routers\b/, ['primary', 'backup']],
  [/^# on the primary\b/, ['primary']],
  [/^# on the backup\b/, ['backup']],
  // The test's primary starts as a site of the original Piranha.
  [/^# on a router that ran the original Piranha\b/, ['primary']],
  // The test's build machine is also the administrator's, in ADMIN_NET.
  [/^# from an administrator's machine\b/, ['build']],
];

export function guideBlocks(markdown: string): GuideBlock[] {
  const lines = markdown.split('\n');
  const out: GuideBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```sh') continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) body.push(lines[i]!.replace(/^ {2,4}(?=\S|$)/, ''));
    const first = body[0]?.trim() ?? '';
    const place = PLACES.find(([re]) => re.test(first));
    if (!place) throw new Error(`guide line ${start + 1}: a sh block must start with where it runs (# settings, # on the build machine, # on both routers, # on the primary, # on the backup, # on a router that ran the original Piranha, # from an administrator's machine), not "${first}"`);
    out.push({ line: start + 1, machines: place[1], script: body.join('\n') + '\n' });
  }
  return out;
}
