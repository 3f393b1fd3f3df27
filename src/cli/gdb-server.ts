/**
 * The gdb stub's TCP listener (QEMU's -gdb tcp::PORT and -s): one debugger at a time, as QEMU
 * serves it; a connection stops the machine (QEMU stops the VM when gdb connects) and its end
 * detaches the debugger, letting the machine run on. The protocol is in src/debug/gdb-stub.ts.
 */
import { createServer, type Server, type Socket } from "node:net";
import { GdbStub } from "../debug/gdb-stub.js";
import type { MachineDebugger } from "../debug/machine-debugger.js";
import { UsageError, type GdbListen } from "./args.js";

export interface GdbServer {
  /** A promise to wait on while the debugger holds the machine stopped (for the session loop). */
  gate(): Promise<void> | undefined;
  /** The guest powered off: tell the debugger (W00), as QEMU does before it exits. */
  machineExited(): void;
  close(): Promise<void>;
}

/** While stopped, the session loop looks again this often (its watchdog, the console's quit key). */
const STOPPED_POLL_MS = 50;

/** Listen for gdb on `listen`; a port in use or a bad host is one clear error. */
export async function openGdbServer(debug: MachineDebugger, listen: GdbListen, kill: () => void): Promise<GdbServer> {
  let current: { socket: Socket; stub: GdbStub } | undefined;
  const server: Server = createServer((socket) => {
    if (current !== undefined) { socket.destroy(); return; } // one debugger at a time
    socket.setNoDelay(true);
    const stub = new GdbStub(debug, {
      send: (bytes) => { if (!socket.destroyed) socket.write(bytes); },
      kill,
    });
    current = { socket, stub };
    if (debug.running) debug.interrupt(5);
    socket.on("data", (data: Buffer) => stub.receive(new Uint8Array(data)));
    const done = () => {
      if (current?.socket !== socket) return;
      current = undefined;
      stub.close();
      // gdb went away without detaching: its breakpoints go and the machine runs on.
      debug.detach();
    };
    socket.on("close", done);
    socket.on("error", done);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const onListening = () => { server.off("error", reject); resolve(); };
      if (listen.host === "") server.listen(listen.port, onListening);
      else server.listen(listen.port, listen.host, onListening);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const where = `${listen.host}:${listen.port}`;
    throw new UsageError(`-gdb tcp:${where}: ${code === "EADDRINUSE" ? "port already in use" : code === "EACCES" ? "permission denied" : code === "ENOTFOUND" || code === "EADDRNOTAVAIL" ? "no such local address" : (e as Error).message}`);
  }
  return {
    gate: () => {
      if (debug.running) return undefined;
      return Promise.race([debug.whenResumed(), new Promise<void>((resolve) => setTimeout(resolve, STOPPED_POLL_MS))]);
    },
    machineExited: () => {
      current?.stub.machineExited();
    },
    close: async () => {
      if (current) current.socket.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      current?.socket.destroy();
    },
  };
}
