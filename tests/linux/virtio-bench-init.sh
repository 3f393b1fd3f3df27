#!/bin/sh
# /init of the virtio throughput bench (bench/virtio.ts), one role per boot, chosen on the kernel
# command line, timed with the guest's own clock, which follows the host's under both emulators
# when -icount is not given. The marks are lines written to /dev/kmsg: the kernel stamps each with
# its clock (local_clock, microseconds) and a write is one system call, where reading a clock from
# busybox (adjtimex, as its date has no %N) would cost a fork and exec, 50 ms under QEMU and most
# of a second under Tessera, inside the interval. The stamps are read back from dmesg afterwards.
#   bench.mode=blk bench.mib=N   vdb holds N MiB of the host's pattern, vda is the target: the
#                                pattern is copied to RAM first, then written to vda with O_DIRECT
#                                and fsync (dd oflag=direct conv=fsync), and read back with O_DIRECT
#                                after dropping the page cache (dd iflag=direct);
#   bench.mode=recv bench.ip=A bench.port=P bench.mib=N
#                                busybox nc listens on P; the clock starts at the first byte and
#                                stops at the sender's end of stream; then the same N MiB from nc
#                                to nc over the guest's own loopback, for comparison;
#   bench.mode=send bench.ip=A bench.peer=B bench.port=P bench.mib=N
#                                sends N MiB of zeros to B:P with busybox nc once B answers.
# Each measurement is one line, "<what> bytes=<n> us=<guest microseconds>", between the markers.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net; do [ -e /modules/$m.ko ] && insmod /modules/$m.ko; done
mode=; mib=32; ip=; peer=; port=5001
for a in $(cat /proc/cmdline); do
  case "$a" in
    bench.mode=*) mode=${a#bench.mode=};; bench.mib=*) mib=${a#bench.mib=};; bench.ip=*) ip=${a#bench.ip=};;
    bench.peer=*) peer=${a#bench.peer=};; bench.port=*) port=${a#bench.port=};;
  esac
done
echo 1 > /proc/sys/kernel/printk
# mark NAME: a stamped line in the kernel's log ("[    5.031265] bench-mark NAME"), with the
# console's loglevel at 1 so that it is not printed; stamp NAME: its time in microseconds.
mark() { echo "bench-mark $1" > /dev/kmsg; }
stamp() { dmesg | sed -n "s/^\[ *\([0-9]*\)\.\([0-9]\{6\}\)\] bench-mark $1\$/\1\2/p" | sed 's/^0*//'; }
# receive NAME PORT: one connection's bytes, timed from the first byte to the end of stream.
# dd bs=1 count=1 reads exactly the first byte from the pipe and the clock starts after it; the
# rest goes to a file in RAM and is counted afterwards (busybox wc -c on a pipe counts byte by
# byte, slower than the network).
receive() {
  nc -l -p $2 | { dd bs=1 count=1 of=/dev/null 2>/dev/null; mark $1-0; dd bs=64k of=/tmp/received 2>/dev/null; mark $1-1
    t0=$(stamp $1-0); t1=$(stamp $1-1); echo "$1 bytes=$(($(stat -c %s /tmp/received) + 1)) us=$((t1 - t0))"; }
  rm -f /tmp/received
}
# send_to HOST PORT: $mib MiB of zeros; the receiver may not listen yet, so a refused nc is tried
# again. Prints yes or no.
send_to() {
  for i in $(seq 1 600); do
    if dd if=/dev/zero bs=64k count=$((mib * 16)) 2>/dev/null | nc $1 $2; then echo yes; return; fi
    sleep 0.2
  done
  echo no
}
# Probing is asynchronous: wait for the devices the role needs.
case "$mode" in
  blk) for i in $(seq 1 100); do [ -e /dev/vdb ] && break; sleep 0.1; done;;
  *) for i in $(seq 1 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
     ip link set lo up; ip link set eth0 up; ip addr add $ip/24 dev eth0
     for i in $(seq 1 50); do [ "$(cat /sys/class/net/eth0/operstate)" = up ] && break; sleep 0.1; done;;
esac
echo "=== TESSERA-WORKLOAD BEGIN ==="
case "$mode" in
  blk)
    dd if=/dev/vdb of=/tmp/pattern bs=1M count=$mib 2>/dev/null
    sync
    mark blk-write-0
    dd if=/tmp/pattern of=/dev/vda bs=1M oflag=direct conv=fsync 2>/dev/null || echo "blk-write failed"
    mark blk-write-1
    t0=$(stamp blk-write-0); t1=$(stamp blk-write-1)
    echo "blk-write bytes=$(wc -c < /tmp/pattern) us=$((t1 - t0))"
    rm /tmp/pattern
    echo 3 > /proc/sys/vm/drop_caches
    # Straight to /dev/null: a pipe to wc would time the pipe. dd's "N+0 records in" counts
    # whole 1 MiB blocks.
    mark blk-read-0
    dd if=/dev/vda of=/dev/null bs=1M count=$mib iflag=direct 2>/tmp/dd.err
    mark blk-read-1
    t0=$(stamp blk-read-0); t1=$(stamp blk-read-1)
    n=$(sed -n 's/^\([0-9]*\)+0 records in$/\1/p' /tmp/dd.err)
    echo "blk-read bytes=$((n * 1048576)) us=$((t1 - t0))"
    ;;
  recv)
    receive net-recv $port
    # The same transfer over this guest's loopback: what busybox nc and the guest's TCP cost
    # without virtio-net (the listener's stdin is the console, as in the foreground: a background
    # job's /dev/null would end its side of the connection at once).
    receive lo-recv 5002 < /dev/console &
    waiting=$!
    if [ "$(send_to 127.0.0.1 5002)" = yes ]; then wait $waiting; else echo "lo-send: no"; kill $waiting; fi
    ;;
  send)
    ok=no
    for i in $(seq 1 600); do
      if ping -c 1 -W 1 $peer > /dev/null 2>&1; then ok=yes; break; fi
      sleep 0.5
    done
    echo "peer $peer: $ok"
    sent=$(send_to $peer $port)
    echo "net-send: $sent"
    ;;
  *) echo "bench.mode= missing or unknown: '$mode'";;
esac
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
