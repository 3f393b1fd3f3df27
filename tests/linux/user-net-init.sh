#!/bin/sh
# /init of the user-network test (test/net/user-net-linux.test.ts): loads virtio-net, asks DHCP
# for an address (udhcpc with /etc/udhcpc.script), pings the gateway, fetches files over HTTP
# from the host at 10.0.2.2:PORT (net.http=PORT) and one over TFTP, which is UDP (net.tftp=PORT),
# then serves one connection on port 8080 for the host to reach through hostfwd, and prints
# what it got.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in failover net_failover virtio_ring virtio virtio_mmio virtio_net; do [ -e /modules/$m.ko ] && insmod /modules/$m.ko; done
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
echo 1 > /proc/sys/kernel/printk
http=; tftp=
for a in $(cat /proc/cmdline); do
  case "$a" in net.http=*) http=${a#net.http=};; net.tftp=*) tftp=${a#net.tftp=};; esac
done
echo "=== TESSERA-WORKLOAD BEGIN ==="
ip link set lo up
ip link set eth0 up
udhcpc -i eth0 -s /etc/udhcpc.script -q -n -t 10 -T 2 >/dev/null 2>&1 || echo "udhcpc failed"
cat /tmp/lease
ip -4 addr show eth0 | grep inet
ip route
cat /etc/resolv.conf
ping -c 1 -W 10 10.0.2.2 | grep -E "bytes from|packets" | sed 's/time=.*//'
# busybox wget looks up the "http" service through NSS, which a static busybox without libnss
# cannot do, so the requests are made with nc; the body follows the blank line after the headers.
get() { printf 'GET /%s HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n' "$1" | nc -w 30 10.0.2.2 $http; }
get hello | sed '1,/^\r$/d'
get big | sed '1,/^\r$/d' | md5sum
get missing | head -1
tftp -g -r greeting -l /tmp/greeting 10.0.2.2 $tftp && head -1 /tmp/greeting && md5sum < /tmp/greeting
nc -l -p 8080 -e /bin/net-handler &
for i in $(seq 1 100); do netstat -ltn | grep -q ':8080 ' && break; sleep 0.1; done
echo "guest listening on 8080"
wait
cat /tmp/handled
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
