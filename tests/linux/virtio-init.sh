#!/bin/sh
# /init of the virtio differential test (test/devices/virtio-linux.test.ts): three raw disks
# (vda read-write, vdb readonly=on, vdc snapshot=on, each filled with a known pattern by the
# test), virtio-rng and a virtio-serial-device whose virtconsole writes to a file. QEMU gives the first -device the highest virtio-mmio transport and Linux
# numbers them from the lowest, so the test lists them as vdc, vdb, vda, rng. Everything printed between the markers must be the same under Tessera
# and qemu-system-aarch64; the test then checks what reached the image files.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The Debian cloud kernel builds the virtio drivers as modules; the test puts them in /modules.
for m in virtio_ring virtio virtio_mmio virtio_blk virtio-rng virtio_console; do insmod /modules/$m.ko; done
# Probing is asynchronous: wait until every disk is there.
for i in $(seq 1 100); do [ -e /sys/block/vdc ] && [ -e /dev/hvc0 ] && break; sleep 0.1; done
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
echo "-- virtio devices"
for d in /sys/bus/virtio/devices/*; do
  echo "$(basename $d) features=$(cat $d/features) device=$(cat $d/device) vendor=$(cat $d/vendor) driver=$(basename $(readlink $d/driver)) at $(basename $(readlink -f $d/..))"
done
echo "-- disks"
for b in vda vdb vdc; do
  echo "$b size=$(cat /sys/block/$b/size) ro=$(cat /sys/block/$b/ro) lbs=$(cat /sys/block/$b/queue/logical_block_size) segs=$(cat /sys/block/$b/queue/max_segments) serial=$(cat /sys/block/$b/serial 2>/dev/null)"
  q=/sys/block/$b/queue
  echo "  discard max=$(cat $q/discard_max_bytes) granularity=$(cat $q/discard_granularity) write-zeroes max=$(cat $q/write_zeroes_max_bytes) cache=$(cat $q/write_cache) io min=$(cat $q/minimum_io_size) opt=$(cat $q/optimal_io_size) pbs=$(cat $q/physical_block_size)"
  md5sum /dev/$b | cut -d' ' -f1
done
hexdump -C -n 64 -s 512 /dev/vda
echo "-- writes"
for b in vda vdb vdc; do
  head -c 4096 /dev/zero | tr '\0' 'W' > /tmp/w
  if dd if=/tmp/w of=/dev/$b bs=4096 seek=1 count=1 conv=fsync 2>/dev/null; then echo "$b write ok"; else echo "$b write failed"; fi
done
sync
# A discard is accepted and changes nothing (QEMU's default discard=ignore).
if blkdiscard -o 8192 -l 4096 /dev/vda 2>/dev/null; then echo "vda discard ok"; else echo "vda discard failed"; fi
echo 3 > /proc/sys/vm/drop_caches
for b in vda vdb vdc; do dd if=/dev/$b bs=4096 skip=1 count=2 2>/dev/null | md5sum | cut -d' ' -f1; done
echo "-- rng"
cat /sys/class/misc/hw_random/rng_available
cat /sys/class/misc/hw_random/rng_current
echo "hwrng bytes: $(head -c 64 /dev/hwrng | wc -c)"
echo "-- console"
ls /sys/class/virtio-ports/
cat /sys/class/tty/hvc0/dev
echo "hello from the guest" > /dev/hvc0
printf 'second line\n' > /dev/hvc0
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
