#!/usr/bin/env bash
# Fills the device-tree test corpus cache (outside the repository):
#   $TESSERA_CACHE/dtb-corpus/linux-image/   unpacked Debian linux-image-<ver>-arm64 (all .dtb files)
#   $TESSERA_CACHE/dtb-corpus/linux-source/  arch/arm{,64}/boot/dts and the headers they #include
#                                            (include/dt-bindings, ...), from Debian's linux-source package;
#                                            SOURCES lists boards the tests always compile
# TESSERA_CACHE defaults to $HOME/.cache/tessera.  Idempotent: when both parts are present it prints nothing.
# Needs root for `dpkg --add-architecture` / `apt-get update` (only on the first run).
set -euo pipefail

cache_root="${TESSERA_CACHE:-$HOME/.cache/tessera}"
corpus_dir="$cache_root/dtb-corpus"
image_dir="$corpus_dir/linux-image"
source_dir="$corpus_dir/linux-source"
image_stamp="$image_dir/.complete"
source_stamp="$source_dir/.complete"

if [[ -f "$image_stamp" && -f "$source_stamp" ]]; then
  exit 0
fi

say() { echo "fetch-dtb-corpus: $*" >&2; }

# Scratch directories of this run, removed on exit whatever happens.
scratch_dirs=()
trap 'rm -rf ${scratch_dirs[@]+"${scratch_dirs[@]}"}' EXIT
# Sets $scratch_dir (not echoed: a $(...) subshell would lose the cleanup registration).
make_scratch_dir() {
  scratch_dir="$(mktemp -d)"
  chmod 755 "$scratch_dir" # apt's download may need to write there as another user
  scratch_dirs+=("$scratch_dir")
}

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
ensure_apt_lists() {
  # linux-image-arm64 is an arm64-only package: apt only knows it once arm64 is a foreign architecture.
  local native
  native="$(dpkg --print-architecture)"
  if [[ "$native" != arm64 ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    say "adding arm64 as a foreign dpkg architecture"
    as_root dpkg --add-architecture arm64
    apt_updated=0
  fi
  if [[ "$apt_updated" == 0 ]]; then
    say "apt-get update"
    as_root apt-get update -qq >/dev/null
    apt_updated=1
  fi
}

# `apt-cache depends linux-image-arm64` names the versioned kernel package, e.g. linux-image-6.1.0-30-arm64.
resolve_dependency() {
  local metapackage="$1" pattern="$2"
  apt-cache depends "$metapackage" 2>/dev/null |
    awk '/Depends:/ {print $2}' | tr -d '<>' | grep -E "$pattern" | head -n1
}

download_to() {
  local workdir="$1" package="$2"
  # Downloading as root into a private directory: tell apt not to switch to its _apt user.
  (cd "$workdir" && apt-get download -qq -o APT::Sandbox::User=root "$package" >/dev/null)
  ls "$workdir"/*.deb | head -n1
}

fetch_image() {
  ensure_apt_lists
  local package workdir deb
  package="$(resolve_dependency linux-image-arm64:arm64 '^linux-image-.*-arm64(:arm64)?$' || true)"
  [[ -n "$package" ]] || package="$(resolve_dependency linux-image-arm64 '^linux-image-.*-arm64(:arm64)?$' || true)"
  [[ -n "$package" ]] || { say "cannot resolve the kernel package behind linux-image-arm64"; exit 1; }
  package="${package%:arm64}:arm64"
  say "downloading $package"
  make_scratch_dir
  workdir="$scratch_dir"
  deb="$(download_to "$workdir" "$package")"
  rm -rf "$image_dir"
  mkdir -p "$image_dir"
  dpkg-deb -x "$deb" "$workdir/root"
  # Only the device trees are needed: keep usr/lib/linux-image-*/ (the dtbs) and drop the kernel and modules.
  local dtb_root
  dtb_root="$(find "$workdir/root/usr/lib" -maxdepth 1 -type d -name 'linux-image-*' | head -n1)"
  [[ -n "$dtb_root" ]] || { say "no usr/lib/linux-image-* directory in $deb"; exit 1; }
  cp -r "$dtb_root"/. "$image_dir"/
  echo "$package" > "$image_dir/PACKAGE"
  touch "$image_stamp"
  say "$(find "$image_dir" -name '*.dtb' | wc -l) dtb files in $image_dir"
}

# The DTS sources compiled by the tests: board files whose include closure stays small.
dts_sources=(
  arch/arm64/boot/dts/arm/juno.dts
  arch/arm64/boot/dts/arm/juno-base.dtsi
  arch/arm64/boot/dts/arm/juno-clocks.dtsi
  arch/arm64/boot/dts/arm/juno-motherboard.dtsi
  arch/arm64/boot/dts/arm/juno-cs-r1r2.dtsi
  arch/arm64/boot/dts/arm/juno-scmi.dtsi
  arch/arm64/boot/dts/arm/juno-r1.dts
  arch/arm64/boot/dts/arm/juno-r2.dts
  arch/arm64/boot/dts/arm/juno-r1-scmi.dts
  arch/arm64/boot/dts/arm/juno-r2-scmi.dts
  arch/arm64/boot/dts/arm/juno-scmi.dts
  arch/arm64/boot/dts/arm/foundation-v8.dts
  arch/arm64/boot/dts/arm/foundation-v8.dtsi
  arch/arm64/boot/dts/arm/foundation-v8-gicv2.dtsi
  arch/arm64/boot/dts/arm/foundation-v8-gicv3.dtsi
  arch/arm64/boot/dts/arm/foundation-v8-gicv3.dts
  arch/arm64/boot/dts/arm/foundation-v8-psci.dts
  arch/arm64/boot/dts/arm/foundation-v8-psci.dtsi
  arch/arm64/boot/dts/arm/foundation-v8-spin-table.dtsi
  arch/arm64/boot/dts/arm/rtsm_ve-aemv8a.dts
  arch/arm64/boot/dts/arm/rtsm_ve-motherboard.dtsi
  arch/arm64/boot/dts/arm/rtsm_ve-motherboard-rs2.dtsi
  arch/arm64/boot/dts/arm/fvp-base-revc.dts
  arch/arm64/boot/dts/arm/vexpress-v2m-rs1.dtsi
  arch/arm64/boot/dts/arm/corstone1000.dtsi
  arch/arm64/boot/dts/arm/corstone1000-fvp.dts
  arch/arm64/boot/dts/arm/corstone1000-mps3.dts
  arch/arm64/boot/dts/broadcom/bcm2711-rpi-4-b.dts
  arch/arm64/boot/dts/broadcom/bcm2837-rpi-3-b.dts
  arch/arm64/boot/dts/broadcom/bcm2837-rpi-3-b-plus.dts
  arch/arm64/boot/dts/rockchip/rk3399-rockpro64.dts
  arch/arm64/boot/dts/rockchip/rk3399-rockpro64.dtsi
  arch/arm64/boot/dts/rockchip/rk3399.dtsi
  arch/arm64/boot/dts/rockchip/rk3399-opp.dtsi
  arch/arm64/boot/dts/allwinner/sun50i-a64-pine64-plus.dts
  arch/arm64/boot/dts/allwinner/sun50i-a64-pine64.dts
  arch/arm64/boot/dts/allwinner/sun50i-a64.dtsi
  arch/arm64/boot/dts/allwinner/sun50i-a64-cpu-opp.dtsi
  arch/arm64/boot/dts/freescale/imx8mq-evk.dts
  arch/arm64/boot/dts/freescale/imx8mq.dtsi
  arch/arm64/boot/dts/freescale/imx8mq-pinfunc.h
)

fetch_source() {
  ensure_apt_lists
  local workdir deb tarball
  # The linux-source metapackage names the versioned source package (linux-source-6.1 on bookworm).
  local package
  package="$(resolve_dependency linux-source '^linux-source-[0-9.]+$' || true)"
  [[ -n "$package" ]] || package=linux-source-6.1
  say "downloading $package (large)"
  make_scratch_dir
  workdir="$scratch_dir"
  deb="$(download_to "$workdir" "$package")"
  # The .deb holds usr/src/linux-source-6.1.tar.xz: pull that tarball out without unpacking the rest.
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$workdir" --wildcards '*/linux-source-*.tar.*'
  tarball="$(find "$workdir" -name 'linux-source-*.tar.*' | head -n1)"
  [[ -n "$tarball" ]] || { say "no source tarball in $deb"; exit 1; }
  # Only the device-tree sources and the headers they include (dt-bindings/input links into uapi).
  rm -rf "$source_dir"
  mkdir -p "$source_dir"
  tar -x -f "$tarball" -C "$source_dir" --strip-components=1 --wildcards \
    '*/arch/arm64/boot/dts/*' '*/arch/arm/boot/dts/*' '*/include/dt-bindings/*' '*/scripts/dtc/include-prefixes/*' \
    '*/include/uapi/linux/input-event-codes.h'
  [[ -d "$source_dir/include/dt-bindings" ]] || { say "dt-bindings headers missing from $tarball"; exit 1; }
  printf '%s\n' "${dts_sources[@]}" > "$source_dir/SOURCES"
  touch "$source_stamp"
  say "kernel DTS sources in $source_dir"
}

[[ -f "$image_stamp" ]] || fetch_image
[[ -f "$source_stamp" ]] || fetch_source
