#!/usr/bin/env bash
# Builds the bare-metal guest programs with the aarch64 cross compiler.
#
#   tests/guests/build.sh [--out DIR] [--refresh-prebuilt] [program...]
#
# Output goes to $TESSERA_GUEST_DIR, else <repo>/.cache/guests (ignored by
# git). A program is rebuilt only when one of its sources, the shared
# runtime, the linker script or this script is newer than its ELF.
# --refresh-prebuilt copies hello.elf and rtos-partition.elf to tests/guests/prebuilt/ (the demo
# images that `npm start` runs on machines without a cross compiler).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${TESSERA_GUEST_DIR:-$repo/.cache/guests}"
cc="${CROSS_CC:-aarch64-linux-gnu-gcc}"
refresh_prebuilt=0
selected=()

while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --refresh-prebuilt) refresh_prebuilt=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) selected+=("$1"); shift ;;
    esac
done

command -v "$cc" >/dev/null || { echo "build.sh: $cc not found" >&2; exit 2; }
mkdir -p "$out"

# Freestanding, no libc. -mstrict-align because with the MMU off every data
# access is Device memory, where unaligned accesses fault (ARM ARM B2.5.2).
common_flags=(-march=armv8-a+crc -ffreestanding -nostdlib -static -fno-pic -fno-pie
    -mstrict-align -fno-stack-protector -fno-asynchronous-unwind-tables
    -Wall -Wextra -Wno-unused-parameter -I"$here/lib")
link_flags=(-T "$here/linker.ld" -Wl,--build-id=none -Wl,-z,max-page-size=4096
    -Wl,--no-warn-rwx-segments -Wl,-n)

lib_srcs=("$here/lib/crt0.S" "$here/lib/vectors.S" "$here/lib/runtime.c")

# Programs also written as a raw image (<name>.img, from the ELF's load address on): those
# started by a loader that takes an arm64 Image rather than an ELF (Xen's xl, for a domU).
raw_images=(xen-domu)
objcopy="${CROSS_OBJCOPY:-${cc%gcc}objcopy}"

# name | sources (relative to tests/guests) | extra flags
programs=(
    "hello|hello/hello.c|-O2"
    "int-sweep|int-sweep/int-sweep.c|-O2"
    "fp-sweep|fp-sweep/fp-sweep.c|-O2"
    "simd-sweep|simd-sweep/simd-sweep.c|-O3 -fno-math-errno"
    "loadstore|loadstore/loadstore.c|-O2"
    "exceptions|exceptions/exceptions.c|-O2 -mgeneral-regs-only"
    "exceptions-el2|exceptions/exceptions-el2.c|-O2 -mgeneral-regs-only"
    "debug|debug/debug.c|-O2 -mgeneral-regs-only"
    "debug-el2|debug/debug-el2.c|-O2 -mgeneral-regs-only"
    "debug-el3|debug/debug-el3.c|-O2 -mgeneral-regs-only"
    "el3|el3/el3.c|-O2 -mgeneral-regs-only"
    "mmu|mmu/mmu.c mmu/mmu-common.c|-O2 -mgeneral-regs-only"
    "mmu16k|mmu16k/mmu16k.c mmu/mmu-common.c|-O2 -mgeneral-regs-only"
    "stage2|stage2/stage2.c|-O2 -mgeneral-regs-only"
    "timer-irq|timer-irq/timer-irq.c|-O2 -mgeneral-regs-only"
    "clock|clock/clock.c|-O2 -mgeneral-regs-only"
    "vgic|vgic/vgic.c|-O2 -mgeneral-regs-only"
    "el2-traps|el2-traps/el2-traps.c|-O2 -mgeneral-regs-only"
    "cpu-id|cpu-id/cpu-id.c|-O2 -mgeneral-regs-only"
    "vgic2|vgic2/vgic2.c|-O2 -mgeneral-regs-only"
    "smp|smp/smp.c|-O2 -mgeneral-regs-only"
    "uart-echo|uart-echo/uart-echo.c|-O2"
    "rtos|rtos/rtos.c|-O2 -mgeneral-regs-only"
    "rtos-partition|rtos/rtos.c|-O2 -mgeneral-regs-only -DPARTITION"
    "rtos-xen|rtos/rtos.c rtos/xen-pv.c|-O2 -mgeneral-regs-only -DPARTITION -DXEN"
    "isolation-attack|isolation/attack.c|-O2 -mgeneral-regs-only"
    "isolation-victim|isolation/victim.c|-O2 -mgeneral-regs-only"
    "doorbell-ping|doorbell/doorbell.c|-O2 -mgeneral-regs-only"
    "doorbell-pong|doorbell/doorbell.c|-O2 -mgeneral-regs-only -DPONG"
    "platform-probe|platform-probe/platform-probe.c|-O2 -mgeneral-regs-only"
    "gdb|gdb/gdb.c|-O1 -g -mgeneral-regs-only"
    "its|its/its.c|-O2 -mgeneral-regs-only"
    "pmu|pmu/pmu.c|-O2 -mgeneral-regs-only"
    "pmu-el2|pmu/pmu-el2.c|-O2 -mgeneral-regs-only"
    "xen-domu|xen-domu/image-header.S xen-domu/xen-domu.c|-O2 -mgeneral-regs-only"
    "bench-int|bench-int/bench-int.c bench-int/kernels.S|-O2"
    "bench-mem|bench-mem/bench-mem.c bench-mem/kernels.S|-O2"
    "bench-fp|bench-fp/bench-fp.c bench-fp/kernels.S|-O2"
    # The benchmark suite (suite/suite.c is its shared main; see suite/suite.h).
    "core|suite/core.c suite/suite.c|-O2"
    "crc32|suite/crc32.c suite/suite.c|-O2"
    "sha256|suite/sha256.c suite/suite.c|-O2"
    "aes|suite/aes.c suite/suite.c|-O2"
    "nbody|suite/nbody.c suite/suite.c|-O2 -fno-math-errno"
    "qsort|suite/qsort.c suite/suite.c|-O2"
    "matmul|suite/matmul.c suite/suite.c|-O2"
    "strsearch|suite/strsearch.c suite/suite.c|-O2"
    "huffman|suite/huffman.c suite/suite.c|-O2"
    "dijkstra|suite/dijkstra.c suite/suite.c|-O2"
    "div64|suite/div64.c suite/suite.c|-O2"
    "simd-auto|suite/simd-auto.c suite/suite.c|-O2 -ftree-vectorize -fvect-cost-model=dynamic"
    "simd-neon|suite/simd-neon.c suite/suite.c|-O2"
    "exceptions-heavy|suite/exceptions-heavy.c suite/suite.c|-O2 -mgeneral-regs-only"
    "tlb-heavy|suite/tlb-heavy.c suite/suite.c|-O2"
)

wanted() {
    [ ${#selected[@]} -eq 0 ] && return 0
    local s
    for s in "${selected[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}

# The shared runtime is always built without FP/SIMD registers so that
# exception handlers calling printf cannot clobber interrupted FP state.
lib_objs=()
for src in "${lib_srcs[@]}"; do
    obj="$out/lib-$(basename "$src").o"
    if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$here/lib/runtime.h" -nt "$obj" ] || [ "$here/lib/bench.h" -nt "$obj" ] || [ "$0" -nt "$obj" ]; then
        "$cc" "${common_flags[@]}" -O2 -mgeneral-regs-only -c "$src" -o "$obj"
    fi
    lib_objs+=("$obj")
done

built=0
for entry in "${programs[@]}"; do
    IFS='|' read -r name srcs flags <<<"$entry"
    wanted "$name" || continue
    elf="$out/$name.elf"
    abs_srcs=()
    stale=0
    [ -e "$elf" ] || stale=1
    for s in $srcs; do
        abs_srcs+=("$here/$s")
        [ "$here/$s" -nt "$elf" ] && stale=1
        # Headers next to a source (e.g. mmu/mmu-common.h) count too.
        for h in "$(dirname "$here/$s")"/*.h; do
            [ -e "$h" ] && [ "$h" -nt "$elf" ] && stale=1
        done
    done
    for dep in "${lib_objs[@]}" "$here/linker.ld" "$here/lib/runtime.h" "$here/lib/bench.h" "$0"; do
        [ "$dep" -nt "$elf" ] && stale=1
    done
    if [ $stale -eq 1 ]; then
        # shellcheck disable=SC2086
        "$cc" "${common_flags[@]}" $flags "${link_flags[@]}" "${abs_srcs[@]}" "${lib_objs[@]}" -o "$elf.tmp"
        mv "$elf.tmp" "$elf"
        built=$((built + 1))
    fi
    if [[ " ${raw_images[*]} " == *" $name "* ]] && { [ ! -e "$out/$name.img" ] || [ "$elf" -nt "$out/$name.img" ]; }; then
        "$objcopy" -O binary "$elf" "$out/$name.img.tmp"
        mv "$out/$name.img.tmp" "$out/$name.img"
    fi
done

if [ $refresh_prebuilt -eq 1 ]; then
    mkdir -p "$here/prebuilt"
    aarch64-linux-gnu-strip -o "$here/prebuilt/hello.elf" "$out/hello.elf"
    aarch64-linux-gnu-strip -o "$here/prebuilt/rtos-partition.elf" "$out/rtos-partition.elf"
fi

echo "guests: $built rebuilt, output in $out"
