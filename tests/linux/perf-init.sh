#!/bin/sh
# /init of the Linux perf test (test/linux/perf.test.ts): Debian's perf counts the user-space
# instructions and cycles of /loop (a static program of exactly 200005 instructions: two to set
# up, 100000 iterations of two, three to exit), printed as CSV without the run times, between
# the workload markers for a byte comparison with QEMU under -icount.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
perf stat -x, -e instructions:u,cycles:u -- /loop 2>&1 | cut -d, -f1,3
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
