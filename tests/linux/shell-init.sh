#!/bin/sh
# /init of the interactive Debian guest that `npm start` (tessera demo) boots: a busybox shell
# on the serial console, with a controlling terminal so Ctrl-C reaches the foreground command.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname tessera
echo 'PS1="\h:\w# "' > /etc/profile
# Kernel messages of level warning and above only, so they do not run through the prompt.
echo 4 > /proc/sys/kernel/printk
# busybox poweroff/reboot/halt signal PID 1 (USR2, TERM, USR1): do it for them.
trap 'poweroff -f' USR2 USR1
trap 'reboot -f' TERM
echo
echo "Debian $(uname -r) on $(grep -c ^processor /proc/cpuinfo) CPU(s), busybox $(busybox | head -n 1 | cut -d' ' -f2)."
echo "Type 'poweroff' to stop the guest (or Ctrl-A X)."
echo "=== shell ready ==="
while :; do
  # cttyhack opens the console's real tty (ttyAMA0) and makes it the controlling terminal.
  setsid cttyhack sh -l &
  wait $!
done
