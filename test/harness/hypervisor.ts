/** Configurations and small guests the hypervisor tests and benchmarks share. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeElf } from "./elf.js";
import { REPO_ROOT } from "./paths.js";
import { assemble } from "./toolchain.js";

/** Debian's Linux (512 MiB, 1 vCPU) in a partition beside a bare-metal image (128 MiB, 1 vCPU), GICv3. */
export function linuxBesideBareMetal(kernel: string, initrd: string, bareMetal: string, o: { dtbRandomness?: boolean } = {}): string {
  return `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3${o.dtbRandomness === false ? ",dtb-randomness=off" : ""}"; cpus = <2>; memory-size = <0x0 0x60000000>; };
  pl: pl { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x20000000>; };
  ph: ph { compatible = "phys-mem-area"; addr = <0x0 0x68000000>; size = <0x0 0x08000000>; };
  partitions {
    linux { compatible = "partition"; label = "p1-linux"; cpus = <0 1>; guest-image = "${kernel}";
      linux-rootfs = "${initrd}"; bootargs = "console=ttyAMA0 panic=-1";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pl>; guest-addr = <0x0 0x40000000>; }; };
    hello { compatible = "partition"; label = "p2-hello"; cpus = <1 1>; guest-image = "${bareMetal}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&ph>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`;
}

/** examples/linux-rtos.dts with its images filled in and no console ports (tests run many at once). */
export function linuxRtosDemo(kernel: string, initrd: string, rtos: string): string {
  return readFileSync(join(REPO_ROOT, "examples", "linux-rtos.dts"), "utf8")
    .replace("LINUX_KERNEL", kernel).replace("LINUX_INITRD", initrd).replace("RTOS_IMAGE", rtos)
    .replace(/console-port = <\d+>; /, "");
}

/** Two bare-metal partitions sharing a window and a doorbell: doorbell-ping rings, doorbell-pong echoes. */
export function doorbellPingPong(ping: string, pong: string): string {
  return `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <2>; memory-size = <0x0 0x40000000>; };
  pa: pa { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  pb: pb { compatible = "phys-mem-area"; addr = <0x0 0x50000000>; size = <0x0 0x04000000>; };
  shm: shm { compatible = "phys-mem-area"; addr = <0x0 0x70000000>; size = <0x0 0x00100000>; shared; };
  bell: doorbell { compatible = "doorbell"; };
  partitions {
    ping { compatible = "partition"; label = "ping"; cpus = <0 1>; guest-image = "${ping}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pa>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; };
      ring { compatible = "send-doorbell"; global-handle = <&bell>; }; };
    pong { compatible = "partition"; label = "pong"; cpus = <1 1>; guest-image = "${pong}";
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pb>; guest-addr = <0x0 0x40000000>; };
      shm { compatible = "guest-phys-mem-area"; phys-mem = <&shm>; guest-addr = <0x0 0x70000000>; };
      ring { compatible = "receive-doorbell"; global-handle = <&bell>; }; };
  };
};
`;
}

/** A bare-metal guest assembled from `source`, written to DIR/NAME.elf, loaded at the partition's 0x40080000. */
export function assembledGuest(dir: string, name: string, source: string): string {
  const words = assemble(source);
  const image = new Uint8Array(words.length * 4);
  const v = new DataView(image.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  const path = join(dir, `${name}.elf`);
  writeFileSync(path, makeElf(image, 0x40080000n));
  return path;
}

/**
 * One partition, labelled `label`, of 64 MiB on pCPU 0 of a one-CPU GICv3 board, running
 * `image`, with `properties` (DTS text) added to it; written to DIR/FILE.dts.
 */
export function onePartitionConfig(dir: string, file: string, label: string, image: string, properties: string): string {
  const path = join(dir, `${file}.dts`);
  writeFileSync(path, `/dts-v1/;
/ {
  compatible = "tessera,hv-config";
  hv { machine = "virt,gic-version=3"; cpus = <1>; memory-size = <0x0 0x40000000>; };
  pr: pr { compatible = "phys-mem-area"; addr = <0x0 0x48000000>; size = <0x0 0x04000000>; };
  partitions {
    p { compatible = "partition"; label = "${label}"; cpus = <0 1>; guest-image = "${image}"; ${properties}
      gpma { compatible = "guest-phys-mem-area"; phys-mem = <&pr>; guest-addr = <0x0 0x40000000>; }; };
  };
};
`);
  return path;
}
