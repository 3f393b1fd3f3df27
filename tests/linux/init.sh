#!/bin/sh
# /init of the Linux boot test (test/linux.test.ts) and the boot benchmark (bench/linux.ts):
# a fixed busybox workload whose output, between the two marker lines, must be the same under
# Tessera and qemu-system-aarch64. Only deterministic things are printed: no times, no
# addresses, nothing that depends on how fast the CPUs are or which one runs what.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
# Keep kernel messages off the console while the workload prints.
echo 1 > /proc/sys/kernel/printk
echo "=== TESSERA-WORKLOAD BEGIN ==="
cd /tmp

echo "-- kernel"
cat /proc/sys/kernel/ostype /proc/sys/kernel/osrelease
cat /proc/cmdline
echo "cpus online: $(cat /sys/devices/system/cpu/online) possible: $(cat /sys/devices/system/cpu/possible)"
grep -c ^processor /proc/cpuinfo
grep -E '^(MemTotal|SwapTotal):' /proc/meminfo
cat /proc/sys/kernel/pid_max /proc/sys/vm/overcommit_memory /proc/sys/kernel/threads-max
ls /proc/sys/kernel | head -n 12 | tr '\n' ' '; echo

echo "-- generated data"
# A linear congruential generator in awk (integer arithmetic in doubles, exact below 2^53).
awk 'BEGIN { x = 12345; for (i = 0; i < 4000; i++) { x = (x * 1103515245 + 12345) % 2147483648; print x % 1000003 } }' > numbers
wc -l < numbers
md5sum numbers | cut -d' ' -f1
sha256sum numbers | cut -d' ' -f1
sha1sum numbers | cut -d' ' -f1
sort -n numbers > sorted
head -n 3 sorted | tr '\n' ' '; tail -n 3 sorted | tr '\n' ' '; echo
sha256sum sorted | cut -d' ' -f1
sort -n -r numbers | uniq | wc -l
awk '{ print $1 % 7 }' numbers | sort | uniq -c | awk '{ print $2 ": " $1 }' | tr '\n' ' '; echo

echo "-- awk arithmetic"
# (Debian's busybox awk has no math library: square root and series by hand.)
awk 'BEGIN {
  s = 0; for (i = 1; i <= 5000; i++) s += 1 / (i * i); printf "zeta2 %.12f\n", s
  x = 1; for (i = 0; i < 30; i++) x = (x + 2 / x) / 2; printf "sqrt2 %.15f\n", x
  e = 1; t = 1; for (i = 1; i < 25; i++) { t /= i; e += t }; printf "e %.15f\n", e
  p = 0; for (k = 0; k < 5000; k++) p += (k % 2 ? -4 : 4) / (2 * k + 1); printf "pi %.10f\n", p
  printf "int %d %d %.0f\n", int(7.9), int(-7.9), 2147483648 + 12345
  printf "big %.0f small %.6e\n", 1152921504606846976 + 1024, 1 / 3486784401
  printf "%g %g %g %.3e\n", 0.1 + 0.2, 1e300 * 1e10, -1 / 3, 123456789012
}'
awk '{ n++; s += $1; if ($1 > m) m = $1 } END { printf "n=%d sum=%.0f max=%d mean=%.6f\n", n, s, m, s / n }' numbers

echo "-- gzip round trip"
cat numbers sorted numbers > big
gzip -9 -c < big > big.gz
gunzip -c < big.gz | md5sum | cut -d' ' -f1
md5sum < big | cut -d' ' -f1
gzip -1 -c < big | gunzip -c | cmp - big && echo "level 1 ok"
dd if=/dev/zero bs=4096 count=64 2>/dev/null | gzip -c | gunzip -c | md5sum | cut -d' ' -f1

echo "-- text tools"
seq 1 2000 | sed -n 's/^\(.*7.*\)$/<\1>/p' | wc -l
seq 1 500 | paste -d+ - - - - - | bc 2>/dev/null | tail -n 2 | tr '\n' ' '; echo
printf 'banana\napple\ncherry\napple\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';'; echo
echo "hello tessera" | tr 'a-z' 'A-Z' | rev
expr 123456789 \* 987 + 3
echo $((0x7fffffff * 3 % 1000003)) $((-17 / 5)) $((-17 % 5)) $((1 << 40))

echo "-- parallel jobs"
# Work on every CPU at once; results are printed in a fixed order afterwards.
for j in 1 2 3 4; do
  ( awk -v j=$j 'BEGIN { x = j; for (i = 0; i < 5000; i++) x = (x * 69069 + 1) % 4294967296; print "job" j, x }' > job$j ) &
done
wait
cat job1 job2 job3 job4
for j in 1 2 3 4; do ( seq 1 $((j * 1000)) | md5sum | cut -d' ' -f1 > sum$j ) & done
wait
cat sum1 sum2 sum3 sum4

echo "=== TESSERA-WORKLOAD END ==="
poweroff -f
