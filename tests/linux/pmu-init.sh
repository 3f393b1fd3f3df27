#!/bin/sh
# /init of the Linux PMU test (test/linux/pmu.test.ts): what Linux's armv8-pmu driver made of
# the CPU's PMUv3 (the probe line without its timestamp, the perf event source it registered
# and the events PMCEID0/1_EL0 let it list), printed between the workload markers for a byte
# comparison with QEMU. Both emulators run it under -icount, where QEMU counts INST_RETIRED.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
dmesg | grep 'hw perfevents' | sed 's/^\[[ 0-9.]*\] //'
pmu=/sys/bus/event_source/devices/armv8_pmuv3
echo "cpus: $(cat $pmu/cpus)"
echo "events: $(ls $pmu/events | tr '\n' ' ')"
for e in cpu_cycles inst_retired sw_incr; do
    [ -e $pmu/events/$e ] && echo "$e: $(cat $pmu/events/$e)"
done
echo "format: $(ls $pmu/format | tr '\n' ' ')"
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
