#!/bin/sh
# /init of the Linux PMU test (test/linux/pmu.test.ts), printed between the workload markers
# for a byte comparison with QEMU (both under -icount, where QEMU counts INST_RETIRED): what
# Linux's armv8-pmu driver made of the CPU's PMUv3 (the probe line without its timestamp, the
# event source it registered, the events PMCEID0/1_EL0 let it list), then, when the initramfs
# has Debian's perf, `perf stat` of /loop, a static program of exactly 200005 instructions (two
# to set up, 100000 iterations of two, three to exit), as CSV without the run times.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
dmesg | grep 'hw perfevents' | sed 's/^\[[ 0-9.]*\] //'
pmu=/sys/bus/event_source/devices/armv8_pmuv3
echo "cpus: $(cat $pmu/cpus)"
echo "events: $(ls $pmu/events | tr '\n' ' ')"
for e in cpu_cycles inst_retired; do
    [ -e $pmu/events/$e ] && echo "$e: $(cat $pmu/events/$e)"
done
echo "format: $(ls $pmu/format | tr '\n' ' ')"
if [ -x /usr/bin/perf ]; then
    perf stat -x, -e instructions:u,cycles:u -- /loop 2>&1 | cut -d, -f1,3
fi
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
