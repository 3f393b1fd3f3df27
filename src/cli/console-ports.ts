/**
 * The consoles on TCP ports, as Topaz's mux_server serves them: console N listens on
 * 127.0.0.1:(base + N), raw bytes both ways, for `socat -,raw,echo=0 tcp:127.0.0.1:PORT` or
 * telnet. Each connection gets its console's output from then on and types into it.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { ConsoleMux } from "../host/console-mux.js";
import { UsageError } from "./args.js";

export interface ConsolePorts {
  readonly ports: number[];
  close(): Promise<void>;
}

/** Listen for consoles 0..count-1 on base..base+count-1; a port in use is one clear error. */
export async function openConsolePorts(mux: ConsoleMux, base: number, count: number, host = "127.0.0.1"): Promise<ConsolePorts> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  for (let index = 0; index < count; index++) {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.setNoDelay(true);
      const detach = mux.attachClient(index, { write: (bytes) => { if (!socket.destroyed) socket.write(bytes); } });
      socket.on("data", (data: Buffer) => mux.clientInput(index, new Uint8Array(data)));
      const done = () => { detach(); sockets.delete(socket); };
      socket.on("close", done);
      socket.on("error", done); // a client that resets its connection is its own business
    });
    const port = base + index;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => { server.off("error", reject); resolve(); });
      });
    } catch (e) {
      await close();
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`console port ${port} (console ${index}): ${code === "EADDRINUSE" ? "already in use" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
    }
    servers.push(server);
  }
  return { ports: Array.from({ length: count }, (_, i) => base + i), close };
}
