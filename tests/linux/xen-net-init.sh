#!/bin/sh
# /init of test/hypervisor/xen-pv-net.test.ts: a Xen partition's PV NIC. Loads Debian's
# xen-netfront, which finds device/vif/0 in XenStore and connects to the hypervisor's netback;
# brings eth0 up with net.ip=A.B.C.D, pings net.peer until it answers (net.tries times), then
# sends (net.role=send) or receives (net.role=recv) 20000 lines over TCP port 5000 and prints
# their md5; with net.rebind=1 it first unbinds the driver and binds it again. The kernel's
# netfront lines are printed from its log.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
insmod /modules/xen-netfront.ko || echo "insmod xen-netfront failed"
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
ip=; peer=; role=; tries=30; linger=0; rebind=0
for a in $(cat /proc/cmdline); do
  case "$a" in net.ip=*) ip=${a#net.ip=};; net.peer=*) peer=${a#net.peer=};; net.role=*) role=${a#net.role=};;
    net.tries=*) tries=${a#net.tries=};; net.linger=*) linger=${a#net.linger=};; net.rebind=*) rebind=${a#net.rebind=};; esac
done
up() {
  ip link set eth0 up
  ip addr add $ip/24 dev eth0
  for i in $(seq 1 50); do [ "$(cat /sys/class/net/eth0/operstate)" = up ] && break; sleep 0.1; done
}
echo "=== TESSERA-WORKLOAD BEGIN ==="
dmesg | grep -E "xen_netfront|vif" | sed 's/^\[[^]]*\] //'
d=/sys/class/net/eth0/device
echo "eth0 on $(basename $(readlink -f $d)) driver $(basename $(readlink $d/driver)) nodename $(cat $d/nodename) devtype $(cat $d/devtype)"
echo "address $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu)"
ip link set lo up
up
echo "carrier $(cat /sys/class/net/eth0/carrier) operstate $(cat /sys/class/net/eth0/operstate)"
# net.rebind=1: the driver lets the device go (the front end closes, the back end follows) and
# takes it again, which connects afresh; what follows runs over the new connection.
if [ "$rebind" = 1 ]; then
  echo vif-0 > /sys/bus/xen/drivers/vif/unbind
  echo "unbound: $(cat /sys/bus/xen/devices/vif-0/state), eth0 $([ -e /sys/class/net/eth0 ] && echo present || echo gone)"
  echo vif-0 > /sys/bus/xen/drivers/vif/bind
  for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
  up
  echo "bound again: $(cat /sys/bus/xen/devices/vif-0/state), carrier $(cat /sys/class/net/eth0/carrier)"
fi
. /net-exchange.sh
exchange $peer $peer
st() { cat /sys/class/net/eth0/statistics/$1; }
echo "eth0 counted: $([ "$(st tx_packets)" -gt 0 ] && [ "$(st rx_packets)" -gt 0 ] && echo packets both ways || echo nothing) errors $(st rx_errors)/$(st tx_errors)"
sleep $linger
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
