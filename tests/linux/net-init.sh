#!/bin/sh
# /init of the virtio-net tests (test/devices/virtio-net-linux.test.ts, test/hypervisor/net-switch.test.ts):
# loads the virtio-net driver, brings eth0 up with the address given on the kernel command line
# (net.ip=A.B.C.D) and prints what the driver negotiated and the interface looks like; with
# net.peer=A.B.C.D it pings the peer until it answers (net.tries=N times, a second apart), prints
# the outcome, and stays up for net.linger=S seconds so that the peer can ping back.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in failover net_failover virtio_ring virtio virtio_mmio virtio_net; do [ -e /modules/$m.ko ] && insmod /modules/$m.ko; done
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
echo 1 > /proc/sys/kernel/printk
ip=; peer=; tries=30; linger=0
for a in $(cat /proc/cmdline); do
  case "$a" in net.ip=*) ip=${a#net.ip=};; net.peer=*) peer=${a#net.peer=};; net.tries=*) tries=${a#net.tries=};; net.linger=*) linger=${a#net.linger=};; esac
done
echo "=== TESSERA-WORKLOAD BEGIN ==="
for d in /sys/bus/virtio/devices/*; do
  [ "$(cat $d/device)" = 0x0001 ] && echo "$(basename $d) features=$(cat $d/features) driver=$(basename $(readlink $d/driver)) at $(basename $(readlink -f $d/..))"
done
echo "address $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
ip link set lo up
ip link set eth0 up
ip addr add $ip/24 dev eth0
for i in $(seq 1 50); do [ "$(cat /sys/class/net/eth0/operstate)" = up ] && break; sleep 0.1; done
echo "carrier $(cat /sys/class/net/eth0/carrier) operstate $(cat /sys/class/net/eth0/operstate) speed $(cat /sys/class/net/eth0/speed 2>&1) duplex $(cat /sys/class/net/eth0/duplex 2>&1)"
ip link show eth0
ip -4 addr show eth0 | grep inet
if [ -n "$peer" ]; then
  ok=no
  for i in $(seq 1 $tries); do
    if ping -c 1 -W 1 $peer > /dev/null 2>&1; then ok=yes; break; fi
    sleep 1
  done
  echo "ping $peer: $ok"
  ping -c 3 -i 0.2 -W 2 $peer | grep -E "bytes from|packets"  | sed 's/time=.*//'
  ip neigh show $peer | cut -d' ' -f1-5
  [ "$linger" -gt 0 ] && sleep $linger
fi
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
