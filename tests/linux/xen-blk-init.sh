#!/bin/sh
# /init of test/hypervisor/xen-pv-blk.test.ts: a Xen partition's PV disks. Loads Debian's
# xen-blkfront, which finds device/vbd/51712 (xvda, read-write) and device/vbd/51728 (xvdb,
# read-only) in XenStore and connects to the hypervisor's blkback; prints what the kernel says
# of them, the md5 of what xvda holds at its start, then writes 5000 lines at 1 MiB and syncs
# (a flush), and shows that xvdb refuses a write.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
insmod /modules/xen-blkfront.ko || echo "insmod xen-blkfront failed"
for i in $(seq 1 300); do [ -b /dev/xvda ] && [ -b /dev/xvdb ] && break; sleep 0.1; done
echo "=== TESSERA-WORKLOAD BEGIN ==="
# Without the disks there is nothing to read, and a write would only make a file in /dev.
[ -b /dev/xvda ] && [ -b /dev/xvdb ] || { echo "no xvda and xvdb"; dmesg | grep -i -E "xen|vbd" | sed 's/^\[[^]]*\] //'; echo "=== TESSERA-WORKLOAD END ==="; poweroff -f; }
dmesg | grep -E "blkfront|xvd" | sed 's/^\[[^]]*\] //'
for b in xvda xvdb; do echo "$b: $(cat /sys/block/$b/size) sectors, ro $(cat /sys/block/$b/ro), on $(basename $(readlink -f /sys/block/$b/device))"; done
echo "xvda first 64 KiB: md5 $(dd if=/dev/xvda bs=4096 count=16 2>/dev/null | md5sum | cut -d' ' -f1)"
seq 1 5000 | dd of=/dev/xvda bs=4096 seek=256 conv=fsync 2>/dev/null && echo "xvda: wrote $(seq 1 5000 | wc -c) bytes at 1 MiB"
sync
echo 3 > /proc/sys/vm/drop_caches
echo "xvda at 1 MiB reads back: md5 $(dd if=/dev/xvda bs=1 skip=1048576 count=$(seq 1 5000 | wc -c) 2>/dev/null | md5sum | cut -d' ' -f1), expected $(seq 1 5000 | md5sum | cut -d' ' -f1)"
echo "xvdb first 4 KiB: md5 $(dd if=/dev/xvdb bs=4096 count=1 2>/dev/null | md5sum | cut -d' ' -f1)"
echo x | dd of=/dev/xvdb 2>/dev/null && echo "xvdb: written" || echo "xvdb: write refused"
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
