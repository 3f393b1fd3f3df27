#!/bin/sh
# /init of the Linux partition in the Linux + RTOS demo: mounts the basics, then sends the RTOS
# partition commands through the shared mailbox (the ERIKA/Linux protocol: write the command
# into shared memory, ring the doorbell, wait for the answer in the same memory), with busybox
# devmem only. Mailbox layout (tests/guests/rtos/rtos.c): seq @0, done @4, status @8,
# command @12 (116 bytes), answer @128 (128 bytes). The doorbell: a 32-bit write to 0x0b000000.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev 2>/dev/null
MB=$((0x70000000))
BELL=0x0b000000

# Write the NUL-terminated string $2 at address $1, a 32-bit word at a time (little-endian).
put_string() {
  addr=$1
  printf '%s\0\0\0\0' "$2" | od -An -v -tu1 -w4 | while read a b c d; do
    [ -z "$a" ] && break
    devmem $addr 32 $(( a | (${b:-0} << 8) | (${c:-0} << 16) | (${d:-0} << 24) ))
    addr=$((addr + 4))
    [ "$a" = 0 ] || [ "${b:-0}" = 0 ] || [ "${c:-0}" = 0 ] || [ "${d:-0}" = 0 ] && break
  done
}

# The NUL-terminated string at address $1 (at most $2 bytes).
get_string() {
  addr=$1; left=$2; out=""
  while [ $left -gt 0 ]; do
    w=$(devmem $addr 32)
    for shift in 0 8 16 24; do
      byte=$(( (w >> shift) & 255 ))
      [ $byte -eq 0 ] && { printf '%s' "$out"; return; }
      out="$out$(printf "\\$(printf %03o $byte)")"
    done
    addr=$((addr + 4)); left=$((left - 4))
  done
  printf '%s' "$out"
}

send() {
  put_string $((MB + 12)) "$1"
  seq=$(( $(devmem $MB 32) + 1 ))
  devmem $MB 32 $seq
  devmem $BELL 32 0
  tries=0
  while [ $(( $(devmem $((MB + 4)) 32) )) -ne $seq ]; do
    tries=$((tries + 1))
    [ $tries -gt 100000 ] && { echo "linux: no answer to '$1'"; return 1; }
  done
  status=$(( $(devmem $((MB + 8)) 32) ))
  [ $status -ge 2147483648 ] && status=$((status - 4294967296))
  echo "linux: '$1' -> $status '$(get_string $((MB + 128)) 128)'"
}

echo "linux: talking to the RTOS through shared memory"
for cmd in "led on" "status" "echo hello from linux" "blink 3" "bogus" "blink 0" "led off" "status" "off"; do
  send "$cmd"
done
echo "linux: done"
/bin/busybox poweroff -f
