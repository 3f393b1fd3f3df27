#!/bin/sh
# `rtos COMMAND...`: one command to the RTOS partition through the shared mailbox (the
# ERIKA/Linux protocol: write the command into shared memory, ring the doorbell, wait for the
# answer in the same memory), with busybox devmem only. Mailbox layout (tests/guests/rtos/rtos.c):
# seq @0, done @4, status @8, command @12 (116 bytes), answer @128 (128 bytes). The doorbell is
# a 32-bit write to the hypervisor's doorbell page at 0x0b000000. Prints "STATUS ANSWER".
MB=$((0x70000000))
BELL=0x0b000000
cmd="$*"
[ -n "$cmd" ] || { echo "usage: rtos COMMAND (try: rtos help)" >&2; exit 2; }

# The command, NUL-terminated, a 32-bit little-endian word at a time.
addr=$((MB + 12))
printf '%s\0\0\0\0' "$cmd" | od -An -v -tu1 -w4 | while read a b c d; do
  [ -z "$a" ] && break
  devmem $addr 32 $(( a | ${b:-0} << 8 | ${c:-0} << 16 | ${d:-0} << 24 ))
  addr=$((addr + 4))
  [ "$a" = 0 ] || [ "${b:-0}" = 0 ] || [ "${c:-0}" = 0 ] || [ "${d:-0}" = 0 ] && break
done
seq=$(( $(devmem $MB 32) + 1 ))
devmem $MB 32 $seq
devmem $BELL 32 0
tries=0
while [ $(( $(devmem $((MB + 4)) 32) )) -ne $seq ]; do
  tries=$((tries + 1))
  [ $tries -gt 100000 ] && { echo "rtos: no answer to '$cmd'" >&2; exit 1; }
done
status=$(( $(devmem $((MB + 8)) 32) ))
[ $status -ge 2147483648 ] && status=$((status - 4294967296))
# The answer, up to its NUL.
answer=""; addr=$((MB + 128)); left=128
while [ $left -gt 0 ]; do
  w=$(( $(devmem $addr 32) ))
  for shift in 0 8 16 24; do
    byte=$(( (w >> shift) & 255 ))
    [ $byte -eq 0 ] && { left=0; break; }
    answer="$answer$(printf "\\$(printf %03o $byte)")"
  done
  addr=$((addr + 4)); left=$((left - 4))
done
echo "$status $answer"
