/** TCP ports for tests that open servers on the loopback interface. */
import { createServer } from "node:net";

/** A base port with `count` free ports from it on 127.0.0.1 (asked of the OS, then released). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const ok = await Promise.all(Array.from({ length: count }, (_, i) => new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(base + i, "127.0.0.1", () => s.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
  throw new Error("no free range of ports on 127.0.0.1");
}
