/**
 * Runs a bare-metal image under QEMU (the reference) or under Tessera
 * with the same machine configuration and returns what the guest wrote
 * to its UART.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeElf } from "./elf.js";
import { QEMU, TESSERA_CLI } from "./paths.js";
import { runProcess, type ProcessResult } from "./process.js";

export interface RunOptions {
  smp?: number;
  /** GIC version of the virt board (QEMU's default is 2). */
  gicVersion?: 2 | 3;
  /** Start at EL2 (virt,virtualization=on); PSCI then uses SMC. */
  virtualization?: boolean;
  /** Start at EL3 in Secure state (virt,secure=on); there is no PSCI then. */
  secure?: boolean;
  memory?: string;
  /** -cpu for both runs (default cortex-a53). */
  cpu?: string;
  /**
   * CPU model for the QEMU reference run only (default: `cpu`), for programs that need
   * an architecture feature QEMU's cortex-a53 lacks (e.g. "max" for the 16K granule).
   */
  qemuCpu?: string;
  /** QEMU's -icount value for both runs (e.g. "shift=0"): instruction-driven, deterministic time. */
  icount?: string;
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Extra environment variables for the Tessera run (e.g. TESSERA_JIT_THRESHOLD). */
  tesseraEnv?: Record<string, string>;
}

export interface EmulatorResult extends ProcessResult {
  emulator: "qemu" | "tessera";
  command: string;
}

export function machineString(opts: RunOptions): string {
  let m = "virt";
  if (opts.gicVersion !== undefined) m += `,gic-version=${opts.gicVersion}`;
  if (opts.secure) m += ",secure=on";
  if (opts.virtualization) m += ",virtualization=on";
  return m;
}

/**
 * Arguments common to both emulators. -nographic without an explicit
 * -serial would multiplex the monitor onto stdio (mon:stdio) and make
 * Ctrl-A in the guest's input special, so the UART is bound to stdio
 * directly and the monitor is disabled. -net none: QEMU's default NIC
 * (virtio-net-pci) needs the iPXE option ROM efi-virtio.rom, which only the
 * ipxe-qemu package installs; the board under test has no NIC either.
 */
function commonArgs(elf: string, opts: RunOptions, cpu = opts.cpu ?? "cortex-a53"): string[] {
  return [
    "-machine", machineString(opts),
    "-cpu", cpu,
    "-smp", String(opts.smp ?? 1),
    "-m", opts.memory ?? "128M",
    "-kernel", elf,
    "-nographic",
    "-no-reboot",
    "-net", "none",
    ...(opts.icount !== undefined ? ["-icount", opts.icount] : []),
  ];
}

export function qemuArgs(elf: string, opts: RunOptions): string[] {
  return [...commonArgs(elf, opts, opts.qemuCpu ?? opts.cpu), "-monitor", "none", "-serial", "stdio"];
}

export function tesseraArgs(elf: string, opts: RunOptions): string[] {
  return [TESSERA_CLI, "run", ...commonArgs(elf, opts)];
}

export async function runQemu(elf: string, opts: RunOptions = {}): Promise<EmulatorResult> {
  const args = qemuArgs(elf, opts);
  const r = await runProcess(QEMU, args, { stdin: opts.stdin, timeoutMs: opts.timeoutMs ?? 30000 });
  return { ...r, emulator: "qemu", command: [QEMU, ...args].join(" ") };
}

/**
 * Run a flat image under QEMU: it is wrapped in an ELF that loads it at `loadAddress` and
 * enters at its first byte, written to a scratch file for the run and removed afterwards.
 */
export async function runQemuImage(image: Uint8Array, loadAddress: number | bigint, opts: RunOptions = {}): Promise<EmulatorResult> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-image-"));
  try {
    const elf = join(dir, "image.elf");
    writeFileSync(elf, makeElf(image, BigInt(loadAddress)));
    return await runQemu(elf, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runTessera(elf: string, opts: RunOptions = {}): Promise<EmulatorResult> {
  const args = tesseraArgs(elf, opts);
  const command = [process.execPath, ...args].join(" ");
  if (!existsSync(TESSERA_CLI)) {
    return {
      emulator: "tessera",
      command,
      stdout: Buffer.alloc(0),
      stderr: `Tessera CLI not found at ${TESSERA_CLI} (run npm run build)`,
      code: null,
      signal: null,
      timedOut: false,
      wallMs: 0,
      spawnError: `Tessera CLI not found at ${TESSERA_CLI}`,
    };
  }
  const env = opts.tesseraEnv ? { ...process.env, ...opts.tesseraEnv } : undefined;
  const r = await runProcess(process.execPath, args, { stdin: opts.stdin, timeoutMs: opts.timeoutMs ?? 120000, env });
  return { ...r, emulator: "tessera", command };
}

/** One-line description of how a run ended, for failure messages. */
export function describeExit(r: EmulatorResult): string {
  if (r.spawnError) return `${r.emulator} could not run: ${r.spawnError}`;
  if (r.timedOut) return `${r.emulator} timed out after ${Math.round(r.wallMs)} ms and was killed`;
  if (r.signal) return `${r.emulator} killed by ${r.signal}`;
  return `${r.emulator} exited with code ${r.code} after ${Math.round(r.wallMs)} ms`;
}
