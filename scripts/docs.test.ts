// The documentation cannot rot silently: every top-level folder explains itself (a README.md, or a
// reason it needs none) and has its place in docs/architecture.md, and every relative link and every
// repository path written in backquotes in any Markdown file of the project points to something
// that exists (a link's #anchor to a heading of that file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../testing/paths.ts';

/** Top-level folders that have no README.md, and where they are described instead. */
const NO_README: Record<string, string> = {
  bin: 'thin executables, each importing a main(): listed in README.md and docs/architecture.md',
  views: "the console's templates: server/README.md and docs/architecture.md",
  public: "the console's static files: server/README.md and docs/architecture.md",
  docs: 'the documents themselves, listed in README.md',
};

/**
 * What .gitignore keeps out of the repository (generated, cached, local): not documentation's
 * business. A pattern with a slash before its end is anchored at the root; one without matches a
 * name at any depth. Wildcard patterns (`*.log`) name files, not folders, and are left out.
 */
function ignoredPaths(): { anchored: string[]; anywhere: string[] } {
  const patterns = readFileSync(join(REPO_ROOT, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#') && !l.includes('*'));
  return {
    anchored: patterns.filter((p) => p.includes('/')).map((p) => p.replace(/^\//, '')),
    anywhere: patterns.filter((p) => !p.includes('/')),
  };
}
const IGNORED = ignoredPaths();
const isIgnored = (path: string) =>
  IGNORED.anchored.some((p) => path === p || path.startsWith(`${p}/`)) || path.split('/').some((part) => IGNORED.anywhere.includes(part));

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

function topLevelFolders(): string[] {
  return readdirSync(REPO_ROOT)
    .filter((n) => !n.startsWith('.') && !isIgnored(n) && isDir(join(REPO_ROOT, n)))
    .sort();
}

function markdownFiles(dir = REPO_ROOT, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const rel = relative(REPO_ROOT, path);
    if (name.startsWith('.') || isIgnored(rel)) continue;
    if (isDir(path)) markdownFiles(path, out);
    else if (name.endsWith('.md')) out.push(path);
  }
  return out.sort();
}

interface Mention {
  line: number;
  text: string;
}

/** A Markdown file's links and code spans, outside fenced code blocks. */
function readMarkdown(file: string): { links: Mention[]; codeSpans: Mention[]; headings: string[] } {
  const links: Mention[] = [];
  const codeSpans: Mention[] = [];
  const headings: string[] = [];
  let fence: string | null = null;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const opening = /^\s*(```+|~~~+)/.exec(raw);
      if (opening) {
        if (fence === null) fence = opening[1]![0]!;
        else if (opening[1]![0] === fence) fence = null;
        return;
      }
      if (fence !== null) return;
      const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
      if (heading) headings.push(heading[1]!);
      for (const m of raw.matchAll(/`([^`]+)`/g)) codeSpans.push({ line: i + 1, text: m[1]! });
      const prose = raw.replace(/`[^`]*`/g, '``');
      for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: i + 1, text: m[1]! });
      const reference = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
      if (reference) links.push({ line: i + 1, text: reference[1]! });
    });
  return { links, codeSpans, headings };
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(headings: string[]): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const h of headings) {
    const text = h.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

const where = (file: string, m: Mention) => `${relative(REPO_ROOT, file)}:${m.line}`;

test('every top-level folder has a README.md or a reason it needs none', () => {
  const missing = topLevelFolders().filter((f) => !(f in NO_README) && !existsSync(join(REPO_ROOT, f, 'README.md')));
  assert.deepEqual(missing, [], `top-level folders without README.md (write one, or give the reason in NO_README): ${missing.join(', ')}`);
  const gone = Object.keys(NO_README).filter((f) => !isDir(join(REPO_ROOT, f)));
  assert.deepEqual(gone, [], `NO_README names folders that do not exist: ${gone.join(', ')}`);
});

test('docs/architecture.md links every top-level folder', () => {
  const doc = join(REPO_ROOT, 'docs', 'architecture.md');
  const linked = new Set(
    readMarkdown(doc)
      .links.filter((l) => !/^[a-z]+:/i.test(l.text) && !l.text.startsWith('#'))
      .map((l) => relative(REPO_ROOT, resolve(dirname(doc), l.text.split('#')[0]!)).split('/')[0]),
  );
  const unlinked = topLevelFolders().filter((f) => !linked.has(f));
  assert.deepEqual(unlinked, [], `docs/architecture.md has no link into: ${unlinked.join(', ')}`);
});

test('every relative link in the Markdown files points to a file or folder that exists', () => {
  const broken: string[] = [];
  const headingsOf = new Map<string, Set<string>>();
  const anchorsOf = (file: string) => {
    if (!headingsOf.has(file)) headingsOf.set(file, anchors(readMarkdown(file).headings));
    return headingsOf.get(file)!;
  };
  const files = markdownFiles();
  assert.ok(files.length > 10, `only ${files.length} Markdown files found under ${REPO_ROOT}`);
  for (const file of files) {
    for (const link of readMarkdown(file).links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.text)) continue; // https:, mailto:
      const [path, anchor] = link.text.split('#') as [string, string | undefined];
      const target = path === '' ? file : resolve(dirname(file), decodeURI(path));
      if (!existsSync(target)) {
        broken.push(`${where(file, link)}: ${link.text} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${where(file, link)}: ${link.text} (no heading #${anchor})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every repository path in backquotes in the Markdown files exists', () => {
  // A code span such as `agent/ha/role.ts` or `lvs-cf/testdata/` names a path of the repository when
  // its first part is a top-level folder (or, written relative to the document, a folder beside it).
  // Paths under the console's root (`conf/piranha.passwd`), globs and generated folders are not checked.
  const tops = new Set(topLevelFolders());
  const missing: string[] = [];
  for (const file of markdownFiles()) {
    for (const span of readMarkdown(file).codeSpans) {
      if (!/^[\w.-]+(\/[\w.-]+)+\/?$/.test(span.text)) continue;
      const first = span.text.split('/')[0]!;
      let base: string;
      if (tops.has(first)) base = REPO_ROOT;
      else if (first !== '.' && first !== '..' && isDir(join(dirname(file), first))) base = dirname(file);
      else continue;
      const path = resolve(base, span.text);
      if (isIgnored(relative(REPO_ROOT, path))) continue;
      if (!existsSync(path)) missing.push(`${where(file, span)}: ${span.text}`);
    }
  }
  assert.deepEqual(missing, []);
});
