/**
 * The bare-metal guest programs (tests/guests/): how to build them and how
 * each one is run, plus what its reference output must contain.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { CROSS_CC, GUEST_BUILD_SCRIPT, GUEST_OUT_DIR, QEMU } from "./paths.js";
import { commandExists } from "./process.js";
import type { RunOptions } from "./emulators.js";

export interface GuestSpec {
  name: string;
  run: RunOptions;
  /** Strings the QEMU output must contain (the last one is the completion marker). */
  expect: string[];
  /** Strings that must not appear. */
  forbid?: string[];
  /** Timeout for a Tessera run (QEMU always gets run.timeoutMs). */
  tesseraTimeoutMs?: number;
}

const NEVER = ["UNEXPECTED EXCEPTION"];

export const GUESTS: readonly GuestSpec[] = [
  { name: "hello", run: {}, expect: ["MIDR_EL1     410fd034", "primes below 10000  = 1229", "hello: done"], forbid: NEVER },
  { name: "int-sweep", run: {}, expect: ["udiv64", "crc32cx", "int-sweep: done (218 forms)"], forbid: NEVER },
  { name: "fp-sweep", run: {}, expect: ["rn  fadd.d", "ahp fcvt.s.h", "fp-sweep: done (239 forms)"], forbid: NEVER },
  { name: "simd-sweep", run: {}, expect: ["ld/st structures", "simd-sweep: done (43 kernels)"], forbid: NEVER },
  { name: "loadstore", run: {}, expect: ["clrex/stxr         000000000000001e 0000000000000001", "loadstore: done (70 checks)"], forbid: NEVER },
  {
    name: "exceptions",
    run: {},
    expect: ["svc            slot=4 ESR=56000042", "fp-trap        slot=4 ESR=1fe00000", "el0-return     slot=8 ESR=5600ffff", "exceptions: done"],
    forbid: NEVER,
  },
  {
    name: "exceptions-el2",
    run: { virtualization: true },
    expect: ["exceptions-el2: EL2", "EL2 slot= 8 ESR_EL2=5e000023", "back at EL2", "exceptions-el2: done"],
    forbid: NEVER,
  },
  {
    // Self-hosted debug: breakpoints, watchpoints and software step at EL1 and EL0.
    name: "debug",
    run: {},
    expect: ["ID_AA64DFR0_EL1 DebugVer 6 BRPs 6 WRPs 4 CTX_CMPs 2", "DBGBCR0_EL1 wrote 0xa6, reads 1e6",
      "  EL1 slot=8 ESR=c2000022 EC=30 ELR=24 SPSR=00000000 FAR=0",
      "  EL1 slot=4 ESR=c6000022 EC=31 ELR=12 SPSR=800001c5 FAR=0",
      "store 8 on BAS 0xf0: 1 event(s)\n  EL1 slot=4 ESR=d6000062 EC=35 ELR=0 SPSR=600001c5 FAR=4",
      "  EL1 slot=8 ESR=cb000062 EC=32 ELR=20 SPSR=00000000", "  EL1 slot=8 ESR=ca000022 EC=32 ELR=32 SPSR=00000000",
      "  EL1 slot=4 ESR=cf000062 EC=33 ELR=20 SPSR=00000005", "debug: done"],
    forbid: NEVER,
  },
  {
    // MDCR_EL2: TDA/TDOSA/TDRA traps of EL1's debug register accesses, TDE routing to EL2.
    name: "debug-el2",
    run: { virtualization: true },
    expect: ["debug-el2: CurrentEL=2", "  EL2 slot=8 ESR=62280403 EC=18 ELR=12 SPSR=00000005",
      "EL1 breakpoint, TDE = 1: 2 event(s)\n  EL2 slot=8 ESR=c2000022 EC=30 ELR=4 SPSR=00000005",
      "  EL2 slot=8 ESR=d2000062 EC=34 ELR=12 SPSR=00000005 FAR=0", "  EL2 slot=8 ESR=cb000022 EC=32 ELR=16 SPSR=00000005",
      "  EL2 slot=4 ESR=c6000022 EC=31 ELR=4 SPSR=800001c9",
      "EL0 breakpoint, TGE = 1: 2 event(s)\n  EL2 slot=8 ESR=c2000022 EC=30 ELR=4 SPSR=00000000", "debug-el2: done"],
    forbid: NEVER,
  },
  {
    // MDCR_EL3.TDA/TDOSA traps, SDD, SSC in Secure EL1, no debug exceptions at EL3.
    name: "debug-el3",
    run: { secure: true },
    expect: ["debug-el3: CurrentEL=3", "  EL3 slot=8 ESR=622807e6 EC=18 ELR=12",
      "Secure EL1 breakpoint, SSC = 0b10 (Secure): 2 event(s)\n  EL1 slot=4 ESR=c6000022 EC=31 ELR=4",
      "Secure EL1 breakpoint, MDCR_EL3.SDD: 1 event(s)\n", "EL3 breakpoint: 0 event(s)", "debug-el3: done"],
    forbid: NEVER,
  },
  {
    // Ends by powering off through the Secure GPIO (no PSCI with secure=on).
    name: "el3",
    run: { secure: true, virtualization: true },
    expect: ["el3: CurrentEL=3", "EL3 slot= 8 ESR_EL3=5e000042", "EL3 slot= 9 IRQ INTID 27, SPSR.{DAIF,M}=3c5",
      "EL1 slot= 4 ESR_EL1=02000000", "EL3 slot= 9 IRQ INTID 27, SPSR.{DAIF,M}=3c9", "el3: done"],
    forbid: NEVER,
  },
  { name: "mmu", run: {}, expect: ["(this line went through the UART alias mapping)", "64K granule", "mmu: done"], forbid: NEVER },
  {
    // QEMU's cortex-a53 has no 16K granule; the reference run uses -cpu max (Tessera keeps its CPU).
    name: "mmu16k",
    run: { qemuCpu: "max" },
    expect: ["16K granule, T0SZ=16 T1SZ=17", "remapped page      3333222211110000", "16K granule, T0SZ=28 T1SZ=36",
      "APTable RO write   ESR=9600004f", "16K granule, T0SZ=20 T1SZ=25", "mmu16k: done"],
    forbid: [...NEVER, "no fault"],
  },
  {
    // Stage 2 from EL2: faults with ESR_EL2/FAR_EL2/HPFAR_EL2, S1PTW, concatenated tables, VMIDs.
    name: "stage2",
    run: { virtualization: true },
    expect: ["S2 fault   ESR_EL2=93c0804f EC=24 FSC=0f S1PTW=0 WnR=1 FAR_EL2=0000000080001018 HPFAR_EL2=0000000000800010",
      "S2 fault   ESR_EL2=92000086 EC=24 FSC=06 S1PTW=1 WnR=0 FAR_EL2=0000000140000008 HPFAR_EL2=0000000000800080",
      "    VMID 2: bbbb000000000000", "    round 1: abababababab", "    after:  bbbb000000000000",
      "back at EL2, 16 stage-2 faults",
      "AT S1E1R walk through unmapped IPA   PAR: F=1 FST=06 PTW=1 S=1",
      "FAR_EL2=0000000200000000 HPFAR_EL2=0000000002000000", "back at EL2, 2 stage-2 faults", "stage2: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    name: "timer-irq",
    run: { gicVersion: 3 },
    expect: ["virtual timer tick 3: INTID 27", "physical timer: INTID 30", "both pending: first INTID 2, then INTID 27", "timer-irq: 7 interrupts, done"],
    forbid: NEVER,
  },
  {
    // The GICv3 virtual CPU interface programmed from EL2, interrupts taken at EL1 through ICV_*.
    name: "vgic",
    run: { gicVersion: 3, virtualization: true },
    expect: ["ICH_VTR_EL2=90b80003", "EL1 vIRQ: vINTID 41 RPR=80", "EL2 IRQ: INTID 25 MISR=01 EISR=2",
      "EL2 trap: ESR_EL2=623a33f6 at +16", "EL2 IRQ: INTID 25 MISR=02", "EL1 vIRQ: vINTID 44", "GICR_ISACTIVER0=00000000",
      "VENG=1: MISR=b8", "EL1 vFIQ: vINTID 50 RPR=40", "EL1 vIRQ: vINTID 52 RPR=20", "EL2 trap: ESR_EL2=62323016", "vgic: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    // The HCR_EL2/CPTR_EL2/CNTHCTL_EL2/MDCR_EL2 traps of EL1, one at a time, as EL2 sees them; the
    // virtual IRQ/FIQ/SError pending bits; VPIDR/VMPIDR, CNTVOFF_EL2 and the EL2 physical timer.
    name: "el2-traps",
    run: { gicVersion: 3, virtualization: true },
    expect: ["all ones: HCR_EL2=00000003ffffffff", "EL1: CurrentEL=1 MIDR_EL1=412fd0f3 MPIDR_EL1=0000000080000102",
      "TWI wfi                    EL2 slot=8 ESR=07e00000 EC=01 ELR=0", "TWI wfi, vIRQ pending      none",
      "TSC smc                    EL2 slot=8 ESR=5e00005a EC=17 ELR=0", "msr contextidr_el1         EL2 slot=8 ESR=62323520 EC=18 ELR=0",
      "TID3 mrs s3_0_c0_c7_7      EL2 slot=8 ESR=623e012f EC=18 ELR=0", "TSW dc cisw                EL2 slot=8 ESR=62141d3c EC=18 ELR=0",
      "TPU ic ialluis             EL2 slot=8 ESR=62101fe2 EC=18 ELR=0", "TTLB tlbi vaale1           EL2 slot=8 ESR=621e212e EC=18 ELR=0",
      "TDZ: DCZID_EL0=14, without: 4", "TCPAC msr cpacr_el1        EL2 slot=8 ESR=62340520 EC=18 ELR=0",
      "EL1PCTEN=0 cntpct_el0      EL2 slot=8 ESR=6232f921 EC=18 ELR=0", "EL1PCEN=0 msr cntp_cval_el0 EL2 slot=8 ESR=6234f924 EC=18 ELR=0",
      "VM ldr, IPA not mapped     EL2 slot=8 ESR=93c98005 EC=24 ELR=0 FAR=0000000080001008 HPFAR=0000000000800010",
      "VSE|AMO, A unmasked        EL1 slot=7 ESR=be000000 EC=2f ELR=4 pending=000",
      "VI|VF|IMO|FMO, unmasked    EL1 slot=5 ESR=00000000 EC=00 ELR=4 pending=0c0",
      "CNTVCT - CNTPCT: 10000 (>> 32)", "CNTV_CTL with CVAL in the virtual past 7, future 3",
      "PS=44 ldr, OA 2^40         EL2 slot=8 ESR=93c98001 EC=24 ELR=0 FAR=00000000c0000000 HPFAR=0000000000c00000 x9=c0000000",
      "TDRA mrs mdrar_el1         EL2 slot=8 ESR=62200521 EC=18 ELR=0 x9=5a", "TDE brk                    EL2 slot=8 ESR=f2000077 EC=3c ELR=0 x9=5a",
      "TPMCR mrs pmcr_el0         none x9=41033000", "HPMN=2 mrs pmcr_el0        none x9=41031000",
      "EL2 IRQ: INTID 26 CNTHP_CTL_EL2=5", "el2-traps: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    // The GICv2 virtualization extensions: GICH programmed from EL2, interrupts taken at EL1 through GICV.
    name: "vgic2",
    run: { gicVersion: 2, virtualization: true },
    expect: ["GICH_VTR=90000003 GICC_IIDR=0002043b", "GICH_LR4 (past the last)=ff8fffff LR5=00000000",
      "EL1 vIRQ: IAR=41 RPR=80 HPPIR=35", "EL2 IRQ: INTID 25 MISR=01 EISR=2", "EL1 vIRQ: IAR=3077 RPR=b0", "GICD_ISACTIVER0=00000000",
      "EL2 IRQ: INTID 25 MISR=04", "EL2 IRQ: INTID 25 MISR=02", "EL1 vIRQ: IAR=44 RPR=60", "EL1 vFIQ: IAR=50 RPR=40",
      "EL1 vIRQ: IAR=1022", "EL1: AckCtl set, IAR=51", "EL1 vIRQ: IAR=52 RPR=20", "VMCtlr=3: MISR=58", "vgic2: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    // PMUv3: INST_RETIRED exists on QEMU only with precise -icount, which also makes cycles exact.
    name: "pmu",
    run: { gicVersion: 3, icount: "shift=0" },
    expect: ["PMCR_EL0 reset  41033000 IMP=41 IDCODE=03 N=6", "PMCEID0_EL0     0000000000020101",
      "EL1 loop 1000   c0=2002 c1=0 c2=2002 c3=2002 ccnt=2002", "EL0 loop 1500   c0=3091 c1=3002 c2=89 c3=3091 ccnt=89",
      "PMUSERENR=1: 2 traps: +36:02000000 +40:02000000", "PMCCNTR IRQ     taken=1 INTID=23 OVS=80000000",
      "PMCCNTR IRQ WFI taken=1 INTID=23 OVS=80000000",
      "INST_RETIRED IRQ taken=1 INTID=23 OVS=00000001 wrapped=1", "pmu: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    // The EL2 controls: MDCR_EL2.HPMN/HPME, NSH, TPM (TPMCR traps nothing on QEMU 7.2).
    name: "pmu-el2",
    run: { virtualization: true, icount: "shift=0" },
    expect: ["pmu-el2: EL2 MDCR_EL2=6 PMCR_EL0=41033000", "HPMN=2 HPME=0          c0=2002 c1=2002 c2=0 c3=0 ccnt=2002",
      "HPMN=2 HPME=1 E=0      c0=0 c1=0 c2=1002 c3=1002 ccnt=0", "EL1 run from EL2       c0=2091 c1=83 c2=2091 c3=83 ccnt=2008",
      "EL1, MDCR_EL2=46: 6 traps: +12:6230e41b", "pmu-el2: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    name: "smp",
    run: { smp: 4 },
    expect: ["cpu3: MPIDR_EL1=0000000080000003", "counter = 8000 (expected 8000)", "cpu3 is off", "smp: done"],
    forbid: NEVER,
  },
  {
    name: "platform-probe",
    run: { smp: 2 },
    expect: ["fw_cfg     r64  0009020010: 47464320554d4551", "fw_cfg     r8  0009020001: abort ESR=96000010",
      "mmio       r32  0010000000: ffffffff", "pio        r64  003eff0000: ffffffffffffffff", "virtio0    r32  000a000004: 00000001",
      "VERSION hi bit 32      ffffffffffffffff", "CPU_ON entry+2         fffffffffffffffe", "CPU_ON32 ctx hi        cpu1 x0=1234567800000022",
      "platform-probe: done"],
    forbid: NEVER,
  },
  {
    // The gdb stub's target (test/debug/gdb.test.ts); here it runs on its own.
    name: "gdb",
    run: { smp: 2 },
    expect: ["gdb: result 55, watched 3333, cpu1 on", "gdb: done"],
    forbid: NEVER,
  },
  {
    // The GICv3 ITS and LPIs: tables in RAM, commands, GITS_TRANSLATER, MOVI/MOVALL to CPU 1, a stall.
    name: "its",
    run: { gicVersion: 3, smp: 2 },
    expect: ["GITS_CTLR=80000000 IIDR=0000043b TYPER=0000001f0001efb1", "GITS_BASER0=0107000000000200",
      "  ITE dev0 ev0: 0000000000008003 000003ff", "  order 8193 8195 8192", "  after INV: HPPIR1=8194",
      "MOVI ev1: cpu1 took INTID 8193, cpu0 byte 00 HPPIR1=1023", "MOVALL 0->1: cpu1 took INTID 8196 then 8195, cpu0 byte 00",
      "ITT outside RAM: CREADR=00000000000003e1 (stalled at command 31)", "cpu0 took 8, cpu1 took 4", "its: done"],
    forbid: [...NEVER, "unexpected"],
  },
  {
    name: "uart-echo",
    run: { stdin: "hello, tessera! 123\n" },
    expect: ["HELLO, TESSERA! 123", "uart-echo: 19 characters, crc32 5882431d, done"],
    forbid: NEVER,
  },
  {
    name: "rtos",
    // Commands on the console; "wait" makes the blink check independent of timing.
    run: { gicVersion: 3, stdin: "help\nled on\nstatus\nblink 2\nwait 5\nblink 0\nstatus\nsleep 3\nled toggle\nbogus cmd\necho hi there\ntasks\noff\n" },
    expect: ["mailbox #2: 'status' -> 0 'led on, blink 0, toggles 0'", "mailbox #5: 'bogus' -> -38 'unknown command: bogus'",
      "rtos> wait 5: 5 toggles, led off", "rtos> status: 0 led off, blink 0, toggles 0", "rtos> led toggle: 0 led on",
      "rtos> tasks: 0 idle/0, blink/1, console/2, selftest/2, mailbox/3", "rtos> off"],
    forbid: NEVER,
  },
  {
    name: "bench-int",
    run: { stdin: "1\n" },
    expect: ["bench-int: scale=1 crc=171d635a", "insns=2324363 done"],
    forbid: NEVER,
  },
  {
    name: "bench-mem",
    run: { stdin: "1\n" },
    expect: ["bench-mem: scale=1 node=19744 hash=4e0116ca", "insns=1238773 done"],
    forbid: NEVER,
  },
  {
    name: "bench-fp",
    run: { stdin: "1\n" },
    expect: ["bench-fp: scale=1 dot=c06a43747265ccc1", "insns=364860 done"],
    forbid: NEVER,
  },
  // The benchmark suite (tests/guests/suite/), at scale 1; npm run bench runs it at full scale.
  { name: "core", run: { stdin: "1\n" }, expect: ["core: 40 iterations", "core: scale=1 checksum=1b12c1da", "core: done"], forbid: NEVER },
  { name: "crc32", run: { stdin: "1\n" }, expect: ["crc32: 10 passes over 65536 bytes, mismatches 0", "crc32: scale=1 checksum=f0bae174", "crc32: done"], forbid: NEVER },
  { name: "sha256", run: { stdin: "1\n" }, expect: ["sha256: abc ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256: scale=1 checksum=a3c081da", "sha256: done"], forbid: NEVER },
  { name: "aes", run: { stdin: "1\n" }, expect: ["aes: FIPS-197 C.1 69c4e0d86a7b0430d8cdb78070b4c55a", "aes: round trip ok", "aes: scale=1 checksum=1c9784cb", "aes: done"], forbid: NEVER },
  { name: "nbody", run: { stdin: "1\n" }, expect: ["nbody: 6000 steps, energy bfc5a441459acc23 -> bfc5a3e7f01a382d", "nbody: scale=1 checksum=b08b3a32", "nbody: done"], forbid: NEVER },
  { name: "qsort", run: { stdin: "1\n" }, expect: ["qsort: 5 rounds, out of order 0", "qsort: scale=1 checksum=6b1bb5db", "qsort: done"], forbid: NEVER },
  { name: "matmul", run: { stdin: "1\n" }, expect: ["matmul: scale=1 checksum=7038daa0", "matmul: done"], forbid: NEVER },
  { name: "strsearch", run: { stdin: "1\n" }, expect: ["strsearch: 1 texts, 3318 matches, 0 disagreements", "strsearch: scale=1 checksum=bf045a12", "strsearch: done"], forbid: NEVER },
  { name: "huffman", run: { stdin: "1\n" }, expect: ["huffman: 5 blocks of 16384 bytes, 75443 bytes coded, 0 bad round trips", "huffman: scale=1 checksum=f22f1882", "huffman: done"], forbid: NEVER },
  { name: "dijkstra", run: { stdin: "1\n" }, expect: ["dijkstra: 48 sources, distance sum 20044956", "dijkstra: scale=1 checksum=133c2245", "dijkstra: done"], forbid: NEVER },
  { name: "div64", run: { stdin: "1\n" }, expect: ["div64: 1000 rounds, signed sum e900e103216e4927", "div64: scale=1 checksum=5c608be0", "div64: done"], forbid: NEVER },
  { name: "simd-auto", run: { stdin: "1\n" }, expect: ["simd-auto: scale=1 checksum=ff82867a", "simd-auto: done"], forbid: NEVER },
  { name: "simd-neon", run: { stdin: "1\n" }, expect: ["simd-neon: scale=1 checksum=192de9b9", "simd-neon: done"], forbid: NEVER },
  { name: "exceptions-heavy", run: { stdin: "1\n" }, expect: ["exceptions-heavy: 8000 SVCs, 8000 aborts skipped, 1000 demand faults, 0 bad pages", "exceptions-heavy: scale=1 checksum=01c23957", "exceptions-heavy: done"], forbid: NEVER },
  { name: "tlb-heavy", run: { stdin: "1\n" }, expect: ["tlb-heavy: 98304 strided accesses over 8192 pages, 512 remaps, 0 bad remaps", "tlb-heavy: scale=1 checksum=2c03d091", "tlb-heavy: done"], forbid: NEVER },
];

export function guestPath(name: string): string {
  return join(GUEST_OUT_DIR, `${name}.elf`);
}

/** Missing host tools, as a human-readable reason, or null when all exist. */
export function missingTools(opts: { compiler?: boolean; qemu?: boolean } = { compiler: true, qemu: true }): string | null {
  const missing: string[] = [];
  if (opts.compiler !== false && !commandExists(CROSS_CC)) missing.push(CROSS_CC);
  if (opts.qemu !== false && !commandExists(QEMU)) missing.push(QEMU);
  return missing.length ? `not installed: ${missing.join(", ")}` : null;
}

/** Builds (incrementally) the named guests, or all of them. Returns the output directory. */
export function buildGuests(names: readonly string[] = []): string {
  execFileSync("bash", [GUEST_BUILD_SCRIPT, "--out", GUEST_OUT_DIR, ...names], { stdio: ["ignore", "pipe", "pipe"] });
  return GUEST_OUT_DIR;
}
