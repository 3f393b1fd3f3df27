/*
 * The arm64 Linux Image header (Linux Documentation/arch/arm64/booting.rst, "Call the kernel
 * image"), so that Xen's toolstack takes the program as a kernel: libxenguest's zImage64 loader
 * accepts a blob with the magic "ARM\x64" at offset 56, loads it at RAM base + text_offset and
 * enters it at its first byte with x0 = the guest's device tree, MMU off, at EL1.
 *
 * It goes first in .text.boot (the build lists the program's sources before crt0's), so the
 * image starts here at 0x40080000, Xen's GUEST_RAM0_BASE plus the 512 KiB text_offset below.
 */
    .section .text.boot, "ax"
    .global image_header
image_header:
    b       entry                   /* code0 */
    .long   0                       /* code1 */
    .quad   0x80000                 /* text_offset: where linker.ld links the image */
    .quad   __image_end - image_header  /* image_size, stacks included */
    .quad   0xa                     /* flags: little-endian, 4K pages, anywhere in RAM */
    .quad   0, 0, 0                 /* res2..res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5: no PE header */

/* Keep the device tree's address for main (crt0 uses x0 and x1 before main). */
entry:
    adr     x9, boot_dtb
    str     x0, [x9]
    b       _start

    .section .data
    .balign 8
    .global boot_dtb
boot_dtb:
    .quad   0
