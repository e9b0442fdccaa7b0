#!/bin/busybox sh
# /init of the kernel test guest (PID 1, busybox only). Loads the modules virtio and 9p need,
# mounts the host's root read-only and the results folder read-write, then runs the suite's guest
# script chrooted into the host root. Whatever happens, it powers the guest off at the end so
# QEMU exits. Its settings come from the kernel command line, which hands `name=value` words
# without a dot to /init as environment variables: piranha_repo (the checkout), piranha_modroot
# (the unpacked kernel package, for modprobe -d), piranha_only (an optional file filter),
# piranha_trials (trials of each failover measurement), piranha_entry (suite or bench).
/bin/busybox mkdir -p /bin /proc /sys /dev /host
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "piranha-guest: $*"; }
halt() {
  say "$*"
  sync
  poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
say "kernel $(uname -r) booted"

for m in $(cat /modules/order); do
  insmod "/modules/$m" || halt "cannot load $m"
done

# 9p: a large msize and the page cache (the host root does not change during the run) make
# reading node_modules through virtio fast enough.
NINEP=trans=virtio,version=9p2000.L,msize=524288
mount -t 9p -o "$NINEP,ro,cache=loose" hostroot /host || halt "cannot mount the host root (9p tag hostroot)"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts
mount -t devpts devpts /host/dev/pts
mount -t tmpfs -o mode=1777 tmp /host/tmp
mount -t tmpfs -o mode=755 run /host/run
mkdir -p /host/tmp/results
mount -t 9p -o "$NINEP" results /host/tmp/results || halt "cannot mount the results folder (9p tag results)"

say "host root mounted; running the suite"
chroot /host /bin/sh "$piranha_repo/tests/kernel/vm/guest.sh"
say "suite finished with code $?"
umount /host/tmp/results
halt "powering off"
