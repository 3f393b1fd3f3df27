#!/bin/sh
# /init of the interactive Debian guest that `npm start` (tessera demo) boots, alone or as the
# Linux partition beside the RTOS: a busybox shell on the serial console, with a controlling
# terminal so Ctrl-C reaches the foreground command.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname tessera
# busybox poweroff/reboot signal PID 1, which this script cannot serve while the shell runs in
# the foreground: the shell's profile makes them act directly. (The shell must stay in the
# foreground: an asynchronous command of a non-interactive shell starts with SIGINT ignored,
# and Ctrl-C would then never reach the commands typed at the prompt.)
cat > /etc/profile <<'PROFILE'
PS1='\h:\w# '
alias poweroff='poweroff -f' reboot='reboot -f' halt='poweroff -f'
PROFILE
# Kernel messages of level warning and above only, so they do not run through the prompt.
echo 4 > /proc/sys/kernel/printk
echo
echo "Debian $(uname -r) on $(grep -c ^processor /proc/cpuinfo) CPU(s), busybox $(busybox | head -n 1 | cut -d' ' -f2)."
if [ -x /bin/rtos ]; then
  # The Linux partition of the hypervisor demo (tessera demo): the RTOS is next door.
  echo "The RTOS partition answers on the shared mailbox: try rtos help, rtos led on, rtos status."
  echo "Ctrl-A 0 is HV>, Ctrl-A 1 this console, Ctrl-A 2 the RTOS; Ctrl-A X quits."
else
  echo "Type 'poweroff' to stop the guest (or Ctrl-A X)."
fi
echo "=== shell ready ==="
while :; do
  # cttyhack opens the console's real tty (ttyAMA0) and makes it the controlling terminal.
  setsid cttyhack sh -l
  echo "(shell exited; 'poweroff' stops the guest)"
done
