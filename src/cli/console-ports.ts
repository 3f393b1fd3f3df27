/**
 * The consoles on TCP ports, as Topaz's mux_server serves them: console N listens on
 * 127.0.0.1:(base + N), raw bytes both ways, for `socat -,raw,echo=0 tcp:127.0.0.1:PORT` or
 * telnet. Each connection gets its console's output from then on and types into it. The
 * domains `xl create` makes get a port each as they come (openDomainConsolePort).
 */
import { createServer, type Server, type Socket } from "node:net";
import type { ConsoleMux } from "../host/console-mux.js";
import { UsageError } from "./args.js";

export interface ConsolePorts {
  readonly ports: number[];
  close(): Promise<void>;
}

/**
 * Listen for consoles 0..count-1 on base..base+count-1; a port in use is one clear error.
 * With `readerOf`, a console it gives a reader for (a partition's) replays to each connection
 * what the partition printed while nobody read, as a created domain's port and xl console do.
 */
export async function openConsolePorts(mux: ConsoleMux, base: number, count: number, host = "127.0.0.1",
  readerOf?: (index: number) => ConsoleAttach | undefined): Promise<ConsolePorts> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const close = async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  };
  for (let index = 0; index < count; index++) {
    // HV> (and any console without a reader) is the mux's live stream only.
    const live: ConsoleAttach = (write) => ({ detach: mux.attachClient(index, { write }), input: (b) => mux.clientInput(index, b) });
    const server = createServer((socket) => serveReader(socket, sockets, readerOf?.(index) ?? live));
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

/** One reader of a console: its output comes to `write`; `ended` when the console goes. */
export type ConsoleAttach = (write: (bytes: Uint8Array) => void, ended: () => void) => { input(bytes: Uint8Array): void; detach(): void };

/** A connection as one reader: the console's bytes to it, its bytes typed in, detached when it closes. */
function serveReader(socket: Socket, sockets: Set<Socket>, attach: ConsoleAttach): void {
  sockets.add(socket);
  socket.setNoDelay(true);
  const session = attach((bytes) => { if (!socket.destroyed) socket.write(bytes); }, () => socket.end());
  socket.on("data", (data: Buffer) => session.input(new Uint8Array(data)));
  const done = () => { session.detach(); sockets.delete(socket); };
  socket.on("close", done);
  socket.on("error", done); // a client that resets its connection is its own business
}

export interface DomainConsolePort {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The TCP console of a domain `xl create` made: the first of `candidates` that can be had (0:
 * one the system chooses). Each connection is a reader as `xl console` is: it is given what
 * the domain printed while nobody read (`attach` replays it) and its bytes are typed in; it
 * is closed when the domain goes (`ended`). Undefined when no candidate can be had.
 */
export async function openDomainConsolePort(attach: ConsoleAttach, candidates: number[], host = "127.0.0.1"): Promise<DomainConsolePort | undefined> {
  const sockets = new Set<Socket>();
  for (const candidate of candidates) {
    const server = createServer((socket) => serveReader(socket, sockets, attach));
    const listening = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(candidate, host, () => resolve(true));
    });
    if (!listening) continue;
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : candidate;
    return {
      port,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }
  return undefined;
}
