#!/bin/sh
# Runs inside the test guest, chrooted into the host's root (read-only; /tmp and /run are the
# guest's own tmpfs, /tmp/results is the host's results folder). Loads every module the kernel
# suite needs from the unpacked kernel package, then runs the suite (suite-runner.ts) with node's
# test runner: the spec reporter to the console, the JSON-lines one to the host.
set -u
cd "$piranha_repo" || exit 1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp
export PIRANHA_KERNEL_MODROOT="$piranha_modroot" PIRANHA_KERNEL_TOOLS="$piranha_tools" NO_COLOR=1
ip link set lo up
results=/tmp/results

# The kernel's on-demand loading cannot see the unpacked package, so everything is loaded here:
# IPVS and its eight schedulers, ipip for tunnelling, veth and bridge for the namespaces, and
# nftables with conntrack for the firewall marks, NAT and dup for the spoofing test's attacker.
modules="ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh
  ipip veth bridge nf_conntrack nf_tables nft_ct nft_chain_nat nft_nat nft_dup_ipv4"
# shellcheck disable=SC2086
if ! modprobe -d "$piranha_modroot" -a $modules; then
  echo "piranha-guest: cannot load the kernel modules" >&2
  exit 1
fi
echo "piranha-guest: modules loaded"

export PIRANHA_KERNEL_ONLY="${piranha_only:-}" PIRANHA_KERNEL_TRIALS="${piranha_trials:-}"
if [ "${piranha_entry:-suite}" = bench ]; then
  # npm run bench:kernel: the bench instead of the suite; its figures go to the results folder.
  PIRANHA_BENCH_RESULTS="$results" node --import tsx bench/kernel/guest-bench.ts
  code=$?
  echo "$code" > "$results/exit-code"
  exit "$code"
fi
node --import tsx \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./tests/kernel/vm/reporter.mjs --test-reporter-destination="$results/results.jsonl" \
  tests/kernel/vm/suite-runner.ts
code=$?
# A program that crashed (a segfault, an invalid opcode under emulation) leaves a line in the
# kernel's log, which `quiet` keeps off the console: show them.
dmesg | grep -iE 'segfault|traps:|general protection|invalid opcode' | sed 's/^/piranha-guest: kernel: /'
echo "$code" > "$results/exit-code"
exit "$code"
