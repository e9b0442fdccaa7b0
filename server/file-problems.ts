// The errors of an lvs.cf file the console can open (the daemons run it, but one of the documented
// exceptions makes them run it wrongly), each with the way to fix it from the console: a button for
// the line endings, the edit form of the element concerned otherwise. Every panel shows them at the
// top while they last, and the library takes only saves that fix one of them.
import type { Diagnostic, LvsConfig } from '../lvs-cf/index.ts';
import type { Snapshot } from './config-store.ts';

export type Fix = { kind: 'line-endings' } | { kind: 'link'; href: string; label: string };

export interface FileProblem {
  message: string;
  fix: Fix | null;
}

function fixFor(d: Diagnostic, model: LvsConfig): Fix | null {
  if (d.code === 'CRLF' || d.code === 'MIXEDEOL') return { kind: 'line-endings' };
  const t = d.target;
  // Failover blocks come after the virtual servers in target numbering; the console has no panel for them.
  if (!t || t.scope === 'global' || t.virtual >= model.virtuals.length) return null;
  const v = model.virtuals[t.virtual]!;
  if (t.scope === 'virtual') return { kind: 'link', href: `/secure/virtual/${t.virtual}/edit`, label: `EDIT virtual server ${v.name}` };
  const s = v.servers[t.server];
  return s ? { kind: 'link', href: `/secure/virtual/${t.virtual}/real/${t.server}/edit`, label: `EDIT real server ${s.name}` } : null;
}

/** The errors of a file whose model the console shows; empty for a file without errors. */
export function fileProblems(snap: Snapshot): FileProblem[] {
  const model = snap.parsed.model;
  if (!model) return [];
  return snap.parsed.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => ({ message: d.line > 0 ? `lvs.cf line ${d.line}: ${d.message}` : d.message, fix: fixFor(d, model) }));
}
