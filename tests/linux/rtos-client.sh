#!/bin/sh
# /init of the Linux partition in the Linux + RTOS test: sends the RTOS partition a fixed list
# of commands with /bin/rtos (tests/linux/rtos-mailbox.sh), prints the answers, powers off.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "linux: talking to the RTOS through shared memory"
for cmd in "led on" "status" "echo hello from linux" "blink 3" "bogus" "blink 0" "led off" "status" "off"; do
  set -- $(/bin/busybox sh /bin/rtos "$cmd")
  status=$1; shift
  echo "linux: '$cmd' -> $status '$*'"
done
echo "linux: done"
/bin/busybox poweroff -f
