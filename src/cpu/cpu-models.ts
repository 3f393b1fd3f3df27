/**
 * The CPU models `-cpu` selects: what tells a Cortex-A53, A57 and A72 apart to software, with
 * the values QEMU 7.2 gives them (target/arm/cpu64.c, aarch64_a53/a57/a72_initfn). The three run
 * the same ARMv8.0 instruction set here, so the feature ID registers (ID_AA64*, installed by
 * isa/system.ts) are the same for all of them and advertise what this CPU implements; what a
 * model changes is its identity (MIDR_EL1), its caches (CTR_EL0 and the CCSIDR_EL1 geometry
 * CLIDR_EL1 describes), its physical address size (ID_AA64MMFR0_EL1.PARange: 40 bits for the
 * A53, 44 for the A57 and A72, which the MMU's address size checks follow), its PMU's
 * PMCR_EL0.IDCODE and the device tree's compatible string.
 *
 * Where QEMU's feature registers differ from these models' this CPU says what it has, for
 * every model: no AArch32, no crypto extension, 16K granules, mixed endianness not supported.
 */

export interface CpuModel {
  /** The -cpu name. */
  readonly name: string;
  /** The device tree's /cpus/cpu@N compatible. */
  readonly compatible: string;
  /** MIDR_EL1 (implementer 0x41, variant, architecture 0xf, part number, revision). */
  readonly midr: number;
  readonly revidr: number;
  /** CTR_EL0: line sizes, L1 instruction cache policy (A53: VIPT, A57/A72: PIPT). */
  readonly ctr: number;
  readonly clidr: number;
  /** CCSIDR_EL1 by CSSELR_EL1 (Level << 1 | InD): L1 data, L1 instruction, L2. */
  readonly ccsidr: readonly number[];
  /** PMCR_EL0 out of reset: IMP 0x41, IDCODE, N = 6 event counters for all three. */
  readonly pmcr: number;
  /** ID_AA64MMFR0_EL1.PARange: 2 (40 bits) or 4 (44 bits); PA_RANGE_BITS gives the size. */
  readonly paRange: number;
}

/**
 * Address sizes by ID_AA64MMFR0_EL1.PARange encoding, which TCR_ELx.IPS and VTCR_EL2.PS share
 * (ARM ARM D19.2 ID_AA64MMFR0_EL1; 0b110, 52 bits, needs FEAT_LPA).
 */
export const PA_RANGE_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 52];

/** The physical address size of `model` in bits. */
export function modelPaBits(model: CpuModel): number {
  return PA_RANGE_BITS[model.paRange];
}

export const CPU_MODELS: readonly CpuModel[] = [
  {
    // r0p4; 32 KiB 4-way L1 D (64-byte lines), 32 KiB 2-way L1 I, 1 MiB 16-way L2.
    name: "cortex-a53", compatible: "arm,cortex-a53", midr: 0x410fd034, revidr: 0, ctr: 0x84448004, clidr: 0x0a200023,
    ccsidr: [0x700fe01a, 0x201fe00a, 0x707fe07a], pmcr: 0x41033000, paRange: 2,
  },
  {
    // r1p0; 32 KiB 2-way L1 D, 48 KiB 3-way L1 I, 2 MiB 16-way L2.
    name: "cortex-a57", compatible: "arm,cortex-a57", midr: 0x411fd070, revidr: 0, ctr: 0x8444c004, clidr: 0x0a200023,
    ccsidr: [0x701fe00a, 0x201fe012, 0x70ffe07a], pmcr: 0x41013000, paRange: 4,
  },
  {
    // r0p3; the A57's L1 caches, 1 MiB 16-way L2.
    name: "cortex-a72", compatible: "arm,cortex-a72", midr: 0x410fd083, revidr: 0, ctr: 0x8444c004, clidr: 0x0a200023,
    ccsidr: [0x701fe00a, 0x201fe012, 0x707fe07a], pmcr: 0x41023000, paRange: 4,
  },
];

/** The model a board gets when nothing else is asked for (QEMU's virt default is cortex-a15, 32-bit; ours is AArch64). */
export const DEFAULT_CPU_MODEL: CpuModel = CPU_MODELS[0];

export function findCpuModel(name: string): CpuModel | undefined {
  return CPU_MODELS.find((m) => m.name === name);
}
