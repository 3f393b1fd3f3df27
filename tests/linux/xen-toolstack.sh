#!/bin/sh
# Debian's Xen toolstack in dom0, run by dom0's /init in test/el2/xen-dom0.test.ts after its
# workload (which has mounted /proc, /sys, devtmpfs on /dev and /tmp), when the initramfs holds
# Debian's xen-utils-4.17 and its libraries. It starts what Debian's /etc/init.d/xen starts (a
# xenstored: the C one here, where Debian prefers oxenstored when installed; xen-init-dom0 to
# put Domain-0 in the store; xenconsoled, here logging the guests' consoles to files), lists
# the host, creates the bare-metal domU of /etc/xen/domu.cfg (tests/guests/xen-domu, as
# /domu.img, on Xen's SBSA UART), prints what xenconsoled logged of its console, lists again
# and destroys it. Between its markers only what does not vary between two runs is printed:
# no times.
mkdir -p /dev/pts
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
ln -s /run /var/run
mkdir -p /etc/xen /var/lib/xen /var/lib/xenstored /var/log/xen/console /run/xen /run/xenstored
# Debian's cloud kernel has these as modules (CONFIG_XEN_DEV_EVTCHN, _GNTDEV, _GRANT_DEV_ALLOC,
# _PRIVCMD, XENFS =m): /dev/xen/{evtchn,gntdev,gntalloc,privcmd} and /proc/xen (xenstored maps
# dom0's store ring through /proc/xen/xsd_kva).
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs; do insmod /modules/$m.ko || echo "insmod $m failed"; done
mount -t xenfs xenfs /proc/xen
# xl reads its global settings from xl.conf and complains when there is none; the defaults do.
echo "# xl's defaults" > /etc/xen/xl.conf
# The domU (xl.cfg(5)): the bare-metal Image as its kernel, 16 MiB, one vCPU, and the emulated
# SBSA UART as the console it writes to.
cat > /etc/xen/domu.cfg <<EOF
name = "domu"
kernel = "/domu.img"
memory = 16
vcpus = 1
vuart = "sbsa_uart"
EOF
bin=/usr/lib/xen-4.17/bin
$bin/xenstored --pid-file=/run/xenstored.pid || echo "xenstored failed"
$bin/xen-init-dom0 > /tmp/init-dom0.log 2>&1 || { echo "xen-init-dom0 failed"; cat /tmp/init-dom0.log; }
$bin/xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console || echo "xenconsoled failed"
xl() { $bin/xl "$@"; }
# `xl list` with the CPU time column (the last) left out.
list() { xl list | sed 's/[ \t]*[0-9.]*$//'; }

echo "=== XEN-TOOLSTACK BEGIN ==="
echo "-- xenstore"
xenstore-read /local/domain/0/name /local/domain/0/domid
xenstore-ls /local/domain/0 | cut -d= -f1 | tr -s ' ' | tr '\n' ' '; echo
echo "-- xl list"
list
echo "-- xl info"
# All of it but xen_caps, which lists xen-3.0-armv7l only where the CPU has AArch32 at EL1 (as
# /sys/hypervisor/properties/capabilities does: QEMU's cortex-a53 has, Tessera's CPU has not).
xl info | grep -v '^xen_caps '
echo "-- xl create"
xl create /etc/xen/domu.cfg 2>&1
log=/var/log/xen/console/guest-domu-vuart0.log
for i in $(seq 1 300); do
    grep -q 'waiting for xl destroy' $log 2>/dev/null && break
    sleep 0.2
done
echo "-- domU console ($(basename $log))"
tr -d '\r' < $log
echo "-- xl list"
list
echo "-- xl destroy"
xl destroy domu 2>&1
list
echo "=== XEN-TOOLSTACK END ==="
