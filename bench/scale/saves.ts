// Benchmark of the console's saves on large files: every kind of save (a real server's weight, a
// virtual server field, add and delete a real server, (de)activate, GLOBAL SETTINGS, REDUNDANCY)
// from the POST to its 303, on generated files of 100 / 1,000 / 10,000 virtual servers × 20 real
// servers (bench/lvs-cf's generator, the GUI's layout), against the floor measured in the same run:
// writing the same bytes with write + fsync + rename in the same folder. Then the console's RSS
// after a series of saves, history/'s bytes per save, and `lvs-cf check` on the file (time and peak
// RSS with /usr/bin/time -v).
//
//   node --import tsx bench/scale/saves.ts [--sizes 100,1000,10000] [--rounds N] [--saves N] [--node-args='--cpu-prof --cpu-prof-dir=DIR']
//
// The console runs as its own process (bin/piranha-gui.js, no agent), spoken to over HTTP the way a
// browser without JavaScript does. Prints Markdown. Not a test: nothing here passes or fails.
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { generate } from '../../testing/generated-lvs-cf.ts';
import { writeFileAtomic } from '../../common/atomic-write.ts';
import { writePasswordFile } from '../../server/password-file.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'bench password';
const AUTH = 'Basic ' + Buffer.from(`piranha:${PASSWORD}`).toString('base64');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The fields a browser would post from the form that posts to `action` (buttons left out). */
function formFields(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action.replace(/[/.?]/g, (c) => `\\${c}`)}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1];
  if (!form) throw new Error(`no form posting to ${action}`);
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const out: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    const type = attr(tag, 'type') ?? 'text';
    if (!name || type === 'submit' || type === 'button') continue;
    if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/.test(tag)) continue;
    out[name] = unescape(attr(tag, 'value') ?? (type === 'checkbox' ? 'on' : ''));
  }
  for (const m of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(m[1]!, 'name');
    if (!name) continue;
    const options = [...m[2]!.matchAll(/<option\b([^>]*)>/g)].map((o) => o[1]!);
    const chosen = options.find((o) => /\sselected\b/.test(o)) ?? options[0];
    out[name] = unescape((chosen && attr(chosen, 'value')) ?? '');
  }
  for (const m of form.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    const name = attr(m[1]!, 'name');
    if (name) out[name] = unescape(m[2]!);
  }
  return out;
}

async function get(url: string): Promise<string> {
  const res = await fetch(url, { headers: { authorization: AUTH } });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return res.text();
}

/** POSTs and returns the milliseconds until the answer (a 303 is expected). */
async function timedPost(url: string, fields: Record<string, string>): Promise<number> {
  const body = new URLSearchParams(fields).toString();
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' }, body });
  const ms = performance.now() - t0;
  const text = await res.text();
  if (res.status !== 303) throw new Error(`POST ${url}: ${res.status} ${text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)}`);
  if (/flash=/.test(res.headers.get('location') ?? '')) {
    const page = await get(new URL(res.headers.get('location')!, url).href);
    if (/Nothing was saved|Nothing changed/.test(page)) throw new Error(`POST ${url} saved nothing: ${page.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 400)}`);
  }
  return ms;
}

interface Kind {
  name: string;
  /** One save of this kind; `round` alternates the value so every save changes the file. */
  save(base: string, round: number): Promise<number>;
}

function kinds(v: number): Kind[] {
  const edit = async (base: string, path: string, change: (f: Record<string, string>) => void) => {
    const f = formFields(await get(base + path), path);
    change(f);
    return timedPost(base + path, f);
  };
  const list = `/secure/virtual/${v}/real`;
  const listAction = async (base: string, action: string, selected?: number) => {
    const f = formFields(await get(base + list), list);
    delete f.selected;
    return timedPost(base + list, { ...f, action, ...(selected === undefined ? {} : { selected: String(selected) }) });
  };
  return [
    { name: 'real server weight', save: (b, r) => edit(b, `/secure/virtual/${v}/real/3/edit`, (f) => (f.weight = String(10 + r))) },
    { name: 'real server address', save: (b, r) => edit(b, `/secure/virtual/${v}/real/4/edit`, (f) => (f.address = `192.168.77.${1 + (r % 2)}`)) },
    { name: 'virtual server field (timeout)', save: (b, r) => edit(b, `/secure/virtual/${v}/edit`, (f) => (f.timeout = String(7 + (r % 2)))) },
    { name: 'add real server', save: (b) => listAction(b, 'add') },
    { name: 'delete real server', save: (b) => listAction(b, 'delete', 20) },
    { name: '(de)activate real server', save: (b) => listAction(b, 'toggle', 5) },
    { name: 'GLOBAL SETTINGS', save: (b, r) => edit(b, '/secure/global', (f) => (f.tcp_timeout = String(900 + (r % 2)))) },
    { name: 'REDUNDANCY', save: (b, r) => edit(b, '/secure/redundancy', (f) => (f.deadtime = String(19 + (r % 2)))) },
  ];
}

async function startConsole(root: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  // --node-args: options for the console's node (a CPU or heap profile of the saves).
  const nodeArgs = (values['node-args'] ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(REPO, 'bin/piranha-gui.js'), '--root', root, '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /listening on (http\S+)/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`piranha-gui exited: ${out}`));
      }
    }, 50);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { url, pid: child.pid!, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

async function rssMb(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir).catch(() => [] as string[])) n += (await stat(join(dir, f))).size;
  return n;
}

function checkFile(file: string): { seconds: number; peakMb: number } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(REPO, 'bin/lvs-cf.js'), 'check', file], { encoding: 'utf8' });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)/.exec(r.stderr);
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? 0);
  const seconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return { seconds, peakMb: peak / 1024 };
}

async function measure(virtuals: number, rounds: number, saves: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'piranha-bench-saves-'));
  try {
    await mkdir(join(root, 'web', 'secure'), { recursive: true });
    await writePasswordFile(join(root, 'conf', 'piranha.passwd'), PASSWORD, 4);
    const text = generate(virtuals);
    const bytes = Buffer.from(text);
    await writeFile(join(root, 'lvs.cf'), bytes);
    const gui = await startConsole(root);
    try {
      await get(`${gui.url}/secure/global`);
      const floor: number[] = [];
      const floorRound = async () => {
        const t0 = performance.now();
        await writeFileAtomic(join(root, 'floor.cf'), bytes);
        floor.push(performance.now() - t0);
      };
      const v = Math.floor(virtuals / 2);
      const rows: { name: string; ms: number[] }[] = kinds(v).map((k) => ({ name: k.name, ms: [] }));
      let done = 0;
      for (let r = 0; r < rounds; r++) {
        // The floor interleaved with the saves: both see the same disk and the same load.
        for (const [i, k] of kinds(v).entries()) {
          await floorRound();
          rows[i]!.ms.push(await k.save(gui.url, r));
          done++;
        }
      }
      const load = loadavg()[0]!.toFixed(2);
      const f = median(floor);
      console.log(`\n### ${virtuals.toLocaleString('en')} virtual servers × 20 (${(bytes.length / 1e6).toFixed(1)} MB), load average ${load}\n`);
      console.log(`floor (write + fsync + rename of the same bytes): median ${f.toFixed(1)} ms over ${floor.length}\n`);
      console.log('| save | median ms | × floor | min–max ms |');
      console.log('|---|---|---|---|');
      for (const row of rows) console.log(`| ${row.name} | ${median(row.ms).toFixed(1)} | ${(median(row.ms) / f).toFixed(1)} | ${Math.min(...row.ms).toFixed(1)}–${Math.max(...row.ms).toFixed(1)} |`);
      // Memory and history over a series of weight saves.
      const weight = kinds(v)[0]!;
      const histAt = async () => dirBytes(join(root, 'history'));
      const marks: string[] = [];
      const h0 = await histAt();
      const d0 = done;
      for (let i = done; i < saves; i++) {
        await weight.save(gui.url, i);
        done++;
        // Three marks: right after the rounds above, half way, and at the end (flat or growing).
        if (done === d0 + 1 || done === Math.floor((d0 + saves) / 2) || done === saves) {
          const m = await rssMb(gui.pid);
          marks.push(`after ${done} saves: RSS ${m.rss.toFixed(0)} MB (peak ${m.peak.toFixed(0)} MB)`);
        }
      }
      if (done < saves || marks.length === 0) {
        const m = await rssMb(gui.pid);
        marks.push(`after ${done} saves: RSS ${m.rss.toFixed(0)} MB (peak ${m.peak.toFixed(0)} MB)`);
      }
      const h1 = await histAt();
      console.log(`\nconsole memory: ${marks.join('; ')}`);
      console.log(`history/: ${(h1 / 1e6).toFixed(2)} MB after ${done} saves; the last ${done - d0} one-line saves added ${((h1 - h0) / Math.max(1, done - d0) / 1024).toFixed(1)} KB each on average (${(await readdir(join(root, 'history')).catch(() => [])).length} files)`);
    } finally {
      await gui.stop();
    }
    const check = checkFile(join(root, 'lvs.cf'));
    console.log(`lvs-cf check: ${check.seconds.toFixed(2)} s, peak RSS ${check.peakMb.toFixed(0)} MB (${(check.peakMb / (bytes.length / 1048576)).toFixed(1)}× the file)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { sizes: { type: 'string' }, rounds: { type: 'string' }, saves: { type: 'string' }, 'node-args': { type: 'string' } } });
const sizes = (values.sizes ?? '100,1000,10000').split(',').map(Number);
const rounds = Number(values.rounds ?? 7);
const saves = Number(values.saves ?? 100);
console.log(`# bench/scale/saves.ts: ${rounds} rounds of each save kind, then weight saves up to ${saves} in all`);
for (const n of sizes) await measure(n, rounds, saves);
