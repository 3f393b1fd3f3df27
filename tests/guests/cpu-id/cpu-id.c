/*
 * cpu-id: the identification registers of the CPU model (-cpu), one per line
 * as "NAME value", for comparing the models Tessera offers with QEMU's
 * (target/arm/cpu64.c): MIDR/REVIDR/AIDR, the cache geometry (CTR, CLIDR,
 * CCSIDR of each cache CSSELR selects), DCZID, the ID_AA64* and AArch32 ID
 * registers, the PMU's PMCR_EL0/PMCEID, the GIC CPU interface's ICC_CTLR_EL1
 * and ICH_VTR_EL2, and the Cortex-A53/A57/A72 IMPLEMENTATION DEFINED
 * registers QEMU gives them. Run at EL2 (virtualization=on, gic-version=3).
 */
#include "runtime.h"

#define SHOW(name, reg) printf("%-18s %016lx\n", name, READ_SYSREG(reg))

int main(void)
{
    printf("cpu-id: EL%u\n", current_el());
    SHOW("MIDR_EL1", midr_el1);
    SHOW("REVIDR_EL1", revidr_el1);
    SHOW("MPIDR_EL1", mpidr_el1);
    SHOW("AIDR_EL1", aidr_el1);
    SHOW("CTR_EL0", ctr_el0);
    SHOW("DCZID_EL0", dczid_el0);
    SHOW("CLIDR_EL1", clidr_el1);
    for (unsigned sel = 0; sel < 6; sel++) {
        WRITE_SYSREG(csselr_el1, sel);
        ISB();
        printf("CCSIDR_EL1[%u]      %016lx\n", sel, READ_SYSREG(ccsidr_el1));
    }
    WRITE_SYSREG(csselr_el1, 0);
    SHOW("ID_AA64PFR0_EL1", id_aa64pfr0_el1);
    SHOW("ID_AA64PFR1_EL1", id_aa64pfr1_el1);
    SHOW("ID_AA64DFR0_EL1", id_aa64dfr0_el1);
    SHOW("ID_AA64DFR1_EL1", id_aa64dfr1_el1);
    SHOW("ID_AA64AFR0_EL1", id_aa64afr0_el1);
    SHOW("ID_AA64AFR1_EL1", id_aa64afr1_el1);
    SHOW("ID_AA64ISAR0_EL1", id_aa64isar0_el1);
    SHOW("ID_AA64ISAR1_EL1", id_aa64isar1_el1);
    SHOW("ID_AA64MMFR0_EL1", id_aa64mmfr0_el1);
    SHOW("ID_AA64MMFR1_EL1", id_aa64mmfr1_el1);
    SHOW("ID_AA64MMFR2_EL1", s3_0_c0_c7_2);
    SHOW("ID_AA64ZFR0_EL1", s3_0_c0_c4_4);
    SHOW("ID_PFR0_EL1", id_pfr0_el1);
    SHOW("ID_PFR1_EL1", id_pfr1_el1);
    SHOW("ID_DFR0_EL1", id_dfr0_el1);
    SHOW("ID_AFR0_EL1", id_afr0_el1);
    SHOW("ID_MMFR0_EL1", id_mmfr0_el1);
    SHOW("ID_MMFR1_EL1", id_mmfr1_el1);
    SHOW("ID_MMFR2_EL1", id_mmfr2_el1);
    SHOW("ID_MMFR3_EL1", id_mmfr3_el1);
    SHOW("ID_ISAR0_EL1", id_isar0_el1);
    SHOW("ID_ISAR1_EL1", id_isar1_el1);
    SHOW("ID_ISAR2_EL1", id_isar2_el1);
    SHOW("ID_ISAR3_EL1", id_isar3_el1);
    SHOW("ID_ISAR4_EL1", id_isar4_el1);
    SHOW("ID_ISAR5_EL1", id_isar5_el1);
    SHOW("MVFR0_EL1", mvfr0_el1);
    SHOW("MVFR1_EL1", mvfr1_el1);
    SHOW("MVFR2_EL1", mvfr2_el1);
    SHOW("PMCR_EL0", pmcr_el0);
    SHOW("PMCEID0_EL0", pmceid0_el0);
    SHOW("PMCEID1_EL0", pmceid1_el0);
    SHOW("MDCR_EL2", mdcr_el2);
    SHOW("ICC_CTLR_EL1", S3_0_C12_C12_4);
    SHOW("ICH_VTR_EL2", S3_4_C12_C11_1);
    /* IMPLEMENTATION DEFINED (op0 3, op1 1, CRn 11/15), as QEMU's cortex_a72_a57_a53_cp_reginfo. */
    SHOW("L2CTLR_EL1", s3_1_c11_c0_2);
    SHOW("L2ECTLR_EL1", s3_1_c11_c0_3);
    SHOW("L2ACTLR_EL1", s3_1_c15_c0_0);
    SHOW("CPUACTLR_EL1", s3_1_c15_c2_0);
    SHOW("CPUECTLR_EL1", s3_1_c15_c2_1);
    SHOW("CPUMERRSR_EL1", s3_1_c15_c2_2);
    SHOW("L2MERRSR_EL1", s3_1_c15_c2_3);
    SHOW("CBAR_EL1", s3_1_c15_c3_0);
    printf("cpu-id: done\n");
    return 0;
}
