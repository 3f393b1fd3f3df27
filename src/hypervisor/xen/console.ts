/**
 * The PV console (xen/include/public/io/console.h): struct xencons_interface in the console
 * page, char in[1024] (to the guest) and out[2048] (from it), with free-running indices
 * in_cons, in_prod, out_cons, out_prod after them; both ends notify through the console's event
 * channel. This is what xenconsoled does for a domain: what the guest writes goes to the
 * partition's console (as its PL011's output does), and what is typed there goes into `in`.
 */
import { u32, setU32 } from "./guest-memory.js";

export const XENCONS = { in: 0, inSize: 1024, out: 1024, outSize: 2048, in_cons: 3072, in_prod: 3076, out_cons: 3080, out_prod: 3084 } as const;

export class PvConsole {
  private pendingInput: number[] = [];

  constructor(
    private readonly page: () => Uint8Array | undefined,
    private readonly output: (bytes: Uint8Array) => void,
    private readonly notify: () => void,
    private readonly touched: () => void,
  ) {}

  /** The guest notified the console channel: print its output, and pass on input waiting for room. */
  kick(): void {
    const page = this.page();
    if (!page) return;
    this.touched();
    const cons = u32(page, XENCONS.out_cons), prod = u32(page, XENCONS.out_prod);
    const avail = (prod - cons) >>> 0;
    let moved = false;
    if (avail > XENCONS.outSize) {
      setU32(page, XENCONS.out_cons, prod); // indices no ring can have: drop, resynchronised
      moved = true;
    } else if (avail > 0) {
      const bytes = new Uint8Array(avail);
      for (let i = 0; i < avail; i++) bytes[i] = page[XENCONS.out + ((cons + i) & (XENCONS.outSize - 1))];
      setU32(page, XENCONS.out_cons, prod);
      this.output(bytes);
      moved = true;
    }
    if (this.deliver(page) || moved) this.notify();
  }

  /** Bytes typed on the partition's console. */
  input(bytes: Uint8Array): void {
    for (const b of bytes) this.pendingInput.push(b);
    const page = this.page();
    if (page && this.deliver(page)) this.notify();
  }

  private deliver(page: Uint8Array): boolean {
    if (this.pendingInput.length === 0) return false;
    this.touched();
    const cons = u32(page, XENCONS.in_cons);
    let prod = u32(page, XENCONS.in_prod);
    const used = (prod - cons) >>> 0;
    const room = used > XENCONS.inSize ? 0 : XENCONS.inSize - used;
    const n = Math.min(room, this.pendingInput.length);
    for (let i = 0; i < n; i++) { page[XENCONS.in + (prod & (XENCONS.inSize - 1))] = this.pendingInput[i]; prod = (prod + 1) >>> 0; }
    this.pendingInput = this.pendingInput.slice(n);
    setU32(page, XENCONS.in_prod, prod);
    return n > 0;
  }
}
