// The programs outside Node that Piranha's build, tests and benchmarks run: each with the Debian
// package that provides it, the suites that need it and where. This is the one list:
// scripts/ensure-tools.js installs from it (npm install, npm test, npm run bench, .ci/run), and a
// test that cannot run without a program skips with the package named here (testing/requirements.ts).
//
// Suites: `build` (npm install: node-gyp compiles native/*.c), `test` (npm test), `bench`
// (npm run bench). A new suite adds its name to SUITES and its programs below.
// Plain JavaScript with Node's own modules only: it runs before `npm install` has installed anything.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** @typedef {'build' | 'test' | 'bench'} Suite */
/**
 * @typedef {object} Tool
 * @property {string} command   the program's name
 * @property {string} package   the Debian package that provides it
 * @property {Suite[]} suites   the suites that need it
 * @property {string} usedBy    which part runs it, for a person deciding whether to install it
 * @property {string[]} [paths] where it must be, when a test runs it by a fixed path instead of $PATH
 */

/** @type {readonly Suite[]} */
export const SUITES = ['build', 'test', 'bench'];

/** @type {readonly Tool[]} */
export const TOOLS = [
  { command: 'make', package: 'make', suites: ['build'], usedBy: 'node-gyp, building native/*.c' },
  { command: 'cc', package: 'gcc', suites: ['build', 'test', 'bench'], usedBy: 'node-gyp (native/*.c); the kernel suite compiles tests/kernel/tools/*.c; bench/checks compiles floor.c' },
  { command: 'g++', package: 'g++', suites: ['build'], usedBy: 'node-gyp links the addon with the C++ driver' },
  { command: 'python3', package: 'python3', suites: ['build', 'test'], usedBy: 'node-gyp; the /metrics test runs the Prometheus client\'s parser' },
  { command: 'prometheus_client', package: 'python3-prometheus-client', suites: ['test'], usedBy: 'tests/console-agent/metrics.test.ts parses /metrics with prometheus_client.parser', paths: ['/usr/lib/python3/dist-packages/prometheus_client'] },
  { command: 'chromium', package: 'chromium', suites: ['test'], usedBy: 'browser tests, e2e/ (playwright-core drives Debian\'s Chromium)', paths: ['/usr/bin/chromium'] },
  { command: 'ip', package: 'iproute2', suites: ['test'], usedBy: 'network-namespace tests, tests/netns/' },
  { command: 'nft', package: 'nftables', suites: ['test'], usedBy: 'network-namespace tests, tests/netns/ (loss, spoofing)' },
  { command: 'arping', package: 'iputils-arping', suites: ['test'], usedBy: 'network-namespace tests, tests/netns/ (VIP takeover)' },
  { command: 'ipvsadm', package: 'ipvsadm', suites: ['test'], usedBy: 'the IPVS dataplane, agent/dataplane/ipvs/' },
  { command: 'qemu-system-x86_64', package: 'qemu-system-x86', suites: ['test'], usedBy: "the kernel suite, tests/kernel/ (boots Debian's kernel to test the ipvs dataplane)" },
  { command: 'busybox', package: 'busybox-static', suites: ['test'], usedBy: "the kernel suite: the guest's init (statically linked)", paths: ['/bin/busybox'] },
  { command: 'cpio', package: 'cpio', suites: ['test'], usedBy: "the kernel suite packs the guest's initramfs" },
  { command: 'depmod', package: 'kmod', suites: ['test'], usedBy: "the kernel suite indexes and loads the kernel package's modules (depmod, modprobe)" },
  { command: 'openssl', package: 'openssl', suites: ['test'], usedBy: 'server/main.test.ts makes a TLS certificate' },
  { command: 'script', package: 'bsdutils', suites: ['test'], usedBy: 'server/passwd-cli.test.ts types a password on a terminal' },
  { command: 'setpriv', package: 'util-linux', suites: ['test'], usedBy: 'tests run as root drop privileges to see what an ordinary user sees' },
  { command: 'systemd-analyze', package: 'systemd', suites: ['test'], usedBy: 'tests/deploy/ verifies the systemd units and scores their sandboxing' },
  { command: 'systemd-sysusers', package: 'systemd', suites: ['test'], usedBy: 'tests/deploy/ runs the deployment guide, which creates the users in a scratch root' },
  { command: 'systemd-tmpfiles', package: 'systemd', suites: ['test'], usedBy: "tests/deploy/ runs the deployment guide, which creates the configuration folder in a scratch root" },
  { command: 'systemctl', package: 'systemd', suites: ['test'], usedBy: 'tests/deploy/ runs the deployment guide, which enables the units in a scratch root' },
  { command: 'curl', package: 'curl', suites: ['test'], usedBy: "tests/deploy/ runs the deployment guide, whose administrator asks the console with curl" },
  { command: 'prlimit', package: 'util-linux', suites: ['test'], usedBy: 'agent/dataplane/userspace/tcp-listener.test.ts runs out of descriptors' },
  { command: 'wrk', package: 'wrk', suites: ['bench'], usedBy: 'bench/console, bench/dataplane (load generator)' },
  { command: 'haproxy', package: 'haproxy', suites: ['bench'], usedBy: 'bench/checks, bench/dataplane (baseline)' },
  { command: 'nginx', package: 'nginx-light', suites: ['bench'], usedBy: 'bench/dataplane (real servers)' },
];

/** The folders searched besides $PATH: an ordinary user's $PATH on Debian lacks the sbin ones. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/**
 * Where `tool` is installed, or null. `env` is the environment whose PATH is searched.
 * @param {Tool} tool
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | null}
 */
export function findTool(tool, env = process.env) {
  const candidates = tool.paths ?? [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN].map((dir) => join(dir, tool.command));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * The tool of that name; throws for a name that is not on the list, so that the list stays the
 * only place programs are named.
 * @param {string} command
 * @returns {Tool}
 */
export function tool(command) {
  const t = TOOLS.find((x) => x.command === command);
  if (!t) throw new Error(`${command} is not in scripts/tools.js: add it there with its Debian package`);
  return t;
}

/**
 * The tools the given suites need that are not installed.
 * @param {readonly string[]} suites
 * @param {(t: Tool) => string | null} [find]
 * @returns {Tool[]}
 */
export function missingTools(suites, find = (t) => findTool(t)) {
  return TOOLS.filter((t) => t.suites.some((s) => suites.includes(s)) && find(t) === null);
}

/** The Debian packages of these tools, each once, in list order. */
export function packagesOf(/** @type {readonly Tool[]} */ tools) {
  return [...new Set(tools.map((t) => t.package))];
}

/**
 * What to do about missing tools, given the machine: nothing, install them with apt-get (running
 * `apt-get update` first when the package lists are empty), or tell the person the one line to
 * run. Pure: the caller does it.
 * @param {{ missing: readonly Tool[], root: boolean, aptGet: boolean, aptListsEmpty: boolean }} machine
 * @returns {{ action: 'none' } | { action: 'install', update: boolean, packages: string[] } | { action: 'tell', line: string }}
 */
export function installPlan({ missing, root, aptGet, aptListsEmpty }) {
  if (missing.length === 0) return { action: 'none' };
  const packages = packagesOf(missing);
  if (root && aptGet) return { action: 'install', update: aptListsEmpty, packages };
  return { action: 'tell', line: `apt-get update && apt-get install -y ${packages.join(' ')}` };
}
