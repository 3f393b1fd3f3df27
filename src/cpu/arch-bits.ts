/**
 * Named bits of the control registers the core tests on its paths: HCR_EL2, SCR_EL3, SCTLR_ELx,
 * CPTR_ELx, CPACR_EL1 and the PSTATE.DAIF mask bits. Only the ARMv8.0 fields this CPU implements
 * or honours are named; positions are from the register descriptions in ARM ARM (DDI 0487)
 * chapter D13.2, "General system control registers".
 *
 * These are `const enum`s so that every use compiles to a number literal: the tests on hot paths
 * (translation regime, alignment, FP enable) cost exactly what the magic numbers they replace
 * did. Bit 31 values are negative int32s (`1 << 31`), which is what `&` on the low word of a
 * register pair gives; test them with `!== 0`, never `> 0`.
 */

/** HCR_EL2, Hypervisor Configuration Register (ARM ARM D13.2.46), low word. */
export const enum HCR_EL2 {
  /** Stage 2 translation of the EL1&0 regime enabled. */
  VM = 1 << 0,
  /** Physical FIQ routed to EL2 (and virtual FIQ enabled). */
  FMO = 1 << 3,
  /** Physical IRQ routed to EL2 (and virtual IRQ enabled). */
  IMO = 1 << 4,
  /** Physical SError routed to EL2 (and virtual SError enabled). */
  AMO = 1 << 5,
  /** Virtual FIQ pending. */
  VF = 1 << 6,
  /** Virtual IRQ pending. */
  VI = 1 << 7,
  /** Virtual SError pending (cleared when the virtual SError is taken). */
  VSE = 1 << 8,
  /** Force broadcast: EL1's TLBI (and IC IALLU) act as their Inner Shareable forms. */
  FB = 1 << 9,
  /** WFI at EL0/EL1 traps to EL2. */
  TWI = 1 << 13,
  /** WFE at EL0/EL1 traps to EL2. */
  TWE = 1 << 14,
  /** ID group 1 (REVIDR_EL1, AIDR_EL1, ...) reads trap to EL2. */
  TID1 = 1 << 16,
  /** ID group 2 (CTR_EL0, CCSIDR_EL1, CLIDR_EL1, CSSELR_EL1) accesses trap to EL2. */
  TID2 = 1 << 17,
  /** ID group 3 (the ID_* registers) reads trap to EL2. */
  TID3 = 1 << 18,
  /** SMC at EL1 traps to EL2. */
  TSC = 1 << 19,
  /** IMPLEMENTATION DEFINED register accesses trap to EL2 (not for AArch64 in QEMU 7.2: see system.ts). */
  TIDCP = 1 << 20,
  /** ACTLR_EL1 accesses trap to EL2. */
  TACR = 1 << 21,
  /** Data cache maintenance by set/way (DC ISW, CSW, CISW) at EL1 traps to EL2. */
  TSW = 1 << 22,
  /** Data cache maintenance to the Point of Coherency (DC IVAC, CVAC, CIVAC) traps to EL2 (TPCP in later ARM ARMs). */
  TPC = 1 << 23,
  /** Cache maintenance to the Point of Unification (DC CVAU, IC IVAU, IC IALLU, IC IALLUIS) traps to EL2. */
  TPU = 1 << 24,
  /** TLB maintenance (TLBI) at EL1 traps to EL2. */
  TTLB = 1 << 25,
  /** Writes of the EL1 virtual memory controls trap to EL2. */
  TVM = 1 << 26,
  /** Trap General Exceptions: EL0 runs as the host's, its exceptions go to EL2, EL1&0 stage 1 off. */
  TGE = 1 << 27,
  /** DC ZVA at EL0/EL1 traps to EL2 (and DCZID_EL0.DZP reads 1 there). */
  TDZ = 1 << 28,
  /** HVC disabled (UNDEFINED) at EL1 and EL2; only when EL3 is not implemented. */
  HCD = 1 << 29,
  /** Reads of the EL1 virtual memory controls trap to EL2. */
  TRVM = 1 << 30,
  /** EL1 is AArch64 (0: AArch32, which this CPU does not implement). */
  RW = 1 << 31,
}

/** SCR_EL3, Secure Configuration Register (ARM ARM D13.2.113). */
export const enum SCR_EL3 {
  /** The ELs below EL3 are Non-secure (and EL2 exists for them, ARMv8.0 having no Secure EL2). */
  NS = 1 << 0,
  /** Physical IRQ routed to EL3. */
  IRQ = 1 << 1,
  /** Physical FIQ routed to EL3. */
  FIQ = 1 << 2,
  /** External aborts and SError routed to EL3. */
  EA = 1 << 3,
  /** Bits 5:4 are RES1. */
  RES1 = 3 << 4,
  /** SMC disabled (UNDEFINED) at EL1 and above. */
  SMD = 1 << 7,
  /** HVC enabled at EL1 and above. */
  HCE = 1 << 8,
  /** The next lower EL is AArch64 (0: AArch32, which this CPU does not implement). */
  RW = 1 << 10,
  /** WFI below EL3 traps to EL3. */
  TWI = 1 << 12,
  /** WFE below EL3 traps to EL3. */
  TWE = 1 << 13,
}

/**
 * SCTLR_ELx, System Control Register (ARM ARM D13.2, SCTLR_EL1, SCTLR_EL2 and SCTLR_EL3). The
 * EL0 controls (UMA to UCI) exist in SCTLR_EL1 only.
 */
export const enum SCTLR {
  /** Stage 1 MMU enabled for the regime. */
  M = 1 << 0,
  /** Alignment checking of data accesses. */
  A = 1 << 1,
  /** SP alignment checking at the regime's own EL (SP must be 16-byte aligned as a base). */
  SA = 1 << 3,
  /** SP alignment checking at EL0 (SCTLR_EL1 only). */
  SA0 = 1 << 4,
  /** EL0 may access PSTATE.DAIF (MSR DAIFSet/DAIFClr, MRS/MSR DAIF). */
  UMA = 1 << 9,
  /** EL0 may execute DC ZVA. */
  DZE = 1 << 14,
  /** EL0 may read CTR_EL0. */
  UCT = 1 << 15,
  /** WFI at EL0 executes (0: traps to EL1). */
  nTWI = 1 << 16,
  /** WFE at EL0 executes (0: traps to EL1). */
  nTWE = 1 << 18,
  /** EL0 may execute cache maintenance by VA (DC CVAU, CIVAC, CVAC, IC IVAU). */
  UCI = 1 << 26,
}

/** CPTR_EL2 and CPTR_EL3, Architectural Feature Trap Registers (ARM ARM D13.2.30, D13.2.31). */
export const enum CPTR {
  /** FP and Advanced SIMD accesses trap (to EL2 from EL0-EL2, to EL3 from every EL). */
  TFP = 1 << 10,
  /**
   * Trace register accesses trap. Nothing to trap here: like QEMU's Cortex-A53, this CPU has no
   * trace system registers (their encodings are UNDEFINED).
   */
  TTA = 1 << 20,
  /** CPACR_EL1 accesses from EL1 trap to EL2 (CPTR_EL2); CPACR_EL1 and CPTR_EL2 accesses below EL3 trap to EL3 (CPTR_EL3). */
  TCPAC = 1 << 31,
}

/** CNTHCTL_EL2, Counter-timer Hypervisor Control (ARM ARM D13.8.?), with HCR_EL2.E2H = 0 (no VHE). */
export const enum CNTHCTL {
  /** EL0/EL1 may read the physical counter CNTPCT_EL0 (0: traps to EL2). */
  EL1PCTEN = 1 << 0,
  /** EL0/EL1 may access the EL1 physical timer CNTP_CTL/CVAL/TVAL_EL0 (0: traps to EL2). */
  EL1PCEN = 1 << 1,
}

/** CPACR_EL1, Architectural Feature Access Control Register (ARM ARM D13.2.29). */
export const enum CPACR_EL1 {
  /** FPEN, bits 21:20: 0b11 no trap, 0b01 traps EL0 only, 0b00/0b10 trap EL0 and EL1. */
  FPEN_SHIFT = 20,
  FPEN_MASK = 3 << 20,
}

/** PSTATE.{D,A,I,F} as they sit in DAIF and SPSR_ELx (ARM ARM C5.2.2 DAIF). */
export const enum DAIF {
  F = 1 << 6,
  I = 1 << 7,
  A = 1 << 8,
  D = 1 << 9,
  /** All four: the mask exception entry sets (ARM ARM D1.10.1). */
  ALL = 0xf << 6,
}
