#!/bin/sh
# /init of test/hypervisor/wireguard.test.ts: two of these guests on one Ethernet (a virtual
# switch under `tessera hv`, -netdev socket between two QEMUs) build a WireGuard tunnel with
# Debian's wireguard module and wg (wireguard-tools), then ping and send data through it.
# From the kernel command line: net.ip / net.peer (eth0's address and the peer's), wg.ip /
# wg.peer (the tunnel's), wg.key / wg.peerkey (this side's private key, the peer's public key,
# base64 as wg prints them), wg.role=send|recv (who sends the data, who checks it).
# Only what both emulators must agree on is printed: no times, no byte counts.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Dependency order (the modules' depends= lines): the tunnel sockets, the curve25519 and
# ChaCha20-Poly1305 libraries (the NEON ones Debian's arm64 kernel builds), then wireguard.
for m in failover net_failover virtio_ring virtio virtio_mmio virtio_net udp_tunnel ip6_udp_tunnel libcurve25519-generic \
    libchacha chacha-neon poly1305-neon libchacha20poly1305 wireguard; do
  insmod /modules/$m.ko || echo "insmod $m failed"
done
for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
echo 1 > /proc/sys/kernel/printk
ip=; peer=; wgip=; wgpeer=; key=; peerkey=; role=; tries=60; linger=3
for a in $(cat /proc/cmdline); do
  case "$a" in
    net.ip=*) ip=${a#net.ip=};; net.peer=*) peer=${a#net.peer=};; wg.ip=*) wgip=${a#wg.ip=};; wg.peer=*) wgpeer=${a#wg.peer=};;
    wg.key=*) key=${a#wg.key=};; wg.peerkey=*) peerkey=${a#wg.peerkey=};; wg.role=*) role=${a#wg.role=};;
    net.tries=*) tries=${a#net.tries=};; net.linger=*) linger=${a#net.linger=};;
  esac
done
echo "=== TESSERA-WORKLOAD BEGIN ==="
ip link set lo up
ip link set eth0 up
ip addr add $ip/24 dev eth0
# The tunnel: wg0 over UDP port 51820 of eth0's address, the peer allowed its tunnel address.
umask 077
echo "$key" > /tmp/key
echo "public key $(wg pubkey < /tmp/key)"
ip link add wg0 type wireguard || echo "ip link add wg0 type wireguard failed"
wg set wg0 private-key /tmp/key listen-port 51820 peer "$peerkey" allowed-ips $wgpeer/32 endpoint $peer:51820 || echo "wg set failed"
ip addr add $wgip/24 dev wg0
ip link set wg0 up
ip link show wg0 | head -1 | cut -d' ' -f2-3,5-
wg show wg0 | grep -v -E "handshake|transfer"
. /net-exchange.sh
exchange $wgpeer "$wgpeer through wg0"
# Both directions carried data and a handshake happened (counters in bytes, times in seconds).
wg show wg0 transfer | while read k rx tx; do echo "transfer received>0 $([ "$rx" -gt 0 ] && echo yes || echo no) sent>0 $([ "$tx" -gt 0 ] && echo yes || echo no)"; done
wg show wg0 latest-handshakes | while read k t; do echo "handshake $([ "$t" -gt 0 ] && echo yes || echo no)"; done
wg show wg0 endpoints
# The tunnel's packets went out and came in as UDP on eth0, the only link to the peer: eth0
# counts at least as many packets each way as wg0 (it also carries the handshakes and ARP).
grep -q ":CA6C " /proc/net/udp && echo "udp 51820 bound"
st() { cat /sys/class/net/$1/statistics/$2; }
# The data alone is some 80 segments of wg0's MTU (1420) one way.
echo "wg0 over eth0: $([ $(($(st wg0 tx_packets) + $(st wg0 rx_packets))) -gt 80 ] &&
  [ "$(st eth0 tx_packets)" -ge "$(st wg0 tx_packets)" ] && [ "$(st eth0 rx_packets)" -ge "$(st wg0 rx_packets)" ] && echo yes || echo no)"
sleep $linger
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
