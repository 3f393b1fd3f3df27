#!/bin/sh
# /init of the virtio-pci differential test (test/devices/virtio-pci-linux.test.ts): virtio-blk,
# -rng, -net (on -netdev user) and -serial (a virtconsole on a file chardev) as PCI functions,
# and an ivshmem-plain whose memory is a host file the test filled. Linux assigns the BARs
# itself (no firmware on virt). Everything between the markers must be the same under Tessera
# and qemu-system-aarch64; the test then checks what reached the disk image, the console's file
# and the shared file.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# The Debian cloud kernel has the PCI host (pci-host-generic) built in, virtio-pci as modules.
# virtio_pci.force_legacy=1 on the command line: the driver takes the legacy I/O BAR instead.
legacy=0
for a in $(cat /proc/cmdline); do [ "$a" = virtio_pci.force_legacy=1 ] && legacy=1; done
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk virtio-rng virtio_console failover net_failover virtio_net; do
  if [ $m = virtio_pci ]; then insmod /modules/$m.ko force_legacy=$legacy; else insmod /modules/$m.ko; fi
done
for i in $(seq 1 100); do [ -e /sys/block/vda ] && [ -e /dev/hvc0 ] && [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
echo "-- enumeration"
dmesg | sed 's/^\[[^]]*\] //' | grep -E '^(pci|pci_bus|pci-host-generic|virtio-pci|virtio_blk) '
echo "-- functions"
for d in /sys/bus/pci/devices/*; do
  echo "$(basename $d) $(cat $d/vendor):$(cat $d/device) sub $(cat $d/subsystem_vendor):$(cat $d/subsystem_device) class $(cat $d/class) irq $(cat $d/irq) driver $(basename "$(readlink $d/driver)")"
  hexdump -C $d/config
  grep -v '^0x0000000000000000 0x0000000000000000 0x0000000000000000' $d/resource
  ls $d/msi_irqs 2>/dev/null | tr '\n' ' '; echo
done
echo "-- interrupts"
grep -E 'MSI|GIC-0 +3[5-8] ' /proc/interrupts | sed 's/^ *\([0-9]*\): *[0-9]* */\1 /'
echo "-- address spaces"
sed -n '/pcie@10000000/,$p' /proc/iomem | grep -v -E 'System RAM|Kernel|reserved|^4010000000'
cat /proc/ioports
echo "-- virtio"
for d in /sys/bus/virtio/devices/*; do
  echo "$(basename $d) device=$(cat $d/device) features=$(cat $d/features) driver=$(basename $(readlink $d/driver)) at $(basename $(readlink -f $d/..))"
done
echo "-- disk"
echo "vda size=$(cat /sys/block/vda/size) ro=$(cat /sys/block/vda/ro) segs=$(cat /sys/block/vda/queue/max_segments)"
md5sum /dev/vda | cut -d' ' -f1
head -c 4096 /dev/zero | tr '\0' 'W' > /tmp/w
dd if=/tmp/w of=/dev/vda bs=4096 seek=1 count=1 conv=fsync 2>/dev/null && echo "vda write ok"
echo 3 > /proc/sys/vm/drop_caches
dd if=/dev/vda bs=4096 skip=1 count=1 2>/dev/null | md5sum | cut -d' ' -f1
echo "-- rng"
cat /sys/class/misc/hw_random/rng_current
echo "hwrng bytes: $(head -c 64 /dev/hwrng | wc -c)"
echo "-- net"
cat /sys/class/net/eth0/address
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ping -c 2 -W 10 10.0.2.2 | grep -E "bytes from|packets" | sed 's/time=.*//'
echo "-- console"
echo "hello over virtio-serial-pci" > /dev/hvc0
echo "-- ivshmem"
for d in /sys/bus/pci/devices/*; do
  [ "$(cat $d/device)" = 0x1110 ] || continue
  regs=$(cut -d' ' -f1 $d/resource | sed -n 1p); shm=$(cut -d' ' -f1 $d/resource | sed -n 3p)
  echo "IVPosition $(devmem $((regs + 8)) 32) IntrMask $(devmem $regs 32) IntrStatus $(devmem $((regs + 4)) 32)"
  devmem $regs 32 0xffffffff; devmem $((regs + 4)) 32 0x5
  echo "IntrMask $(devmem $regs 32) IntrStatus $(devmem $((regs + 4)) 32) then $(devmem $((regs + 4)) 32)"
  echo "host wrote: $(devmem $shm 32) $(devmem $((shm + 4)) 32) $(devmem $((shm + 0x1000)) 8)"
  devmem $((shm + 16)) 32 0x47554553
  devmem $((shm + 20)) 16 0x5421
  echo "guest wrote: $(devmem $((shm + 16)) 32) $(devmem $((shm + 20)) 16)"
done
echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
