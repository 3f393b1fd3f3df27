/**
 * The management port of `tessera hv`: the toolstack (src/hypervisor/toolstack.ts) on TCP, for
 * `tessera xl` and `tessera xenstore`. One JSON object a line each way: a request
 * `{"op": "list"}` is answered by `{"ok": true, ...}` or `{"ok": false, "error": "..."}`. Two
 * requests turn the connection into a stream once answered: `console` (raw bytes both ways,
 * the domain's console, as xenconsoled's pty) and `xs-watch` (one `{"path", "token"}` line per
 * event), until the client closes it.
 *
 * It listens on the loopback interface by default: whoever can connect manages the hypervisor,
 * as whoever can reach the console ports types on the consoles. Files named by a domain config
 * are read by the client, as the user running it, and their bytes come with the request.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Toolstack, ToolReply, ToolRequest } from "../hypervisor/toolstack.js";
import { UsageError } from "./args.js";

/** Where `tessera hv` listens and `tessera xl` connects unless told otherwise (--manage, --hv, TESSERA_HV). */
export const DEFAULT_MANAGE_ADDRESS = "127.0.0.1:18800";
/** A create request carries the kernel and ramdisk (base64): this bounds a line. */
export const MAX_REQUEST_BYTES = 384 << 20;

export interface HostPort { host: string; port: number }

/** HOST:PORT (or PORT alone, on 127.0.0.1). */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):)?(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? "127.0.0.1").replace(/^\[|\]$/g, ""), port };
}

export interface ManagePort {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * What the host adds to a reply before it goes out (the TCP console a created domain got,
 * which is known once its port listens): the reply, changed or as it was.
 */
export type AmendReply = (req: ToolRequest, reply: ToolReply) => Promise<ToolReply>;

/** Listen for toolstack clients on `where`; a port that cannot be had is a UsageError with one clear line. */
export async function openManagePort(toolstack: Toolstack, where: HostPort, amend?: AmendReply): Promise<ManagePort> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => serve(toolstack, socket, sockets, amend));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(where.port, where.host, () => { server.off("error", reject); resolve(); });
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`management port ${where.host}:${where.port}: ${code === "EADDRINUSE" ? "already in use" : code === "EACCES" ? "permission denied" : code === "EADDRNOTAVAIL" ? "no such local address" : (e as Error).message}`);
  }
  return {
    address: `${where.host}:${where.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function serve(toolstack: Toolstack, socket: Socket, sockets: Set<Socket>, amend: AmendReply | undefined): void {
  sockets.add(socket);
  socket.setNoDelay(true);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Set once the connection is a console stream: where typed bytes go. */
  const stream: { consoleInput?: (b: Uint8Array) => void } = {};
  let cleanup: (() => void) | undefined;
  const send = (obj: unknown) => { if (!socket.destroyed) socket.write(JSON.stringify(obj) + "\n"); };
  /** Replies an amendment delays: those after them wait, so replies keep the order of requests. */
  let replies: Promise<void> = Promise.resolve();
  const done = () => { cleanup?.(); cleanup = undefined; sockets.delete(socket); };
  socket.on("close", done);
  socket.on("error", done);

  const handle = (line: string) => {
    let req: ToolRequest;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== "object" || parsed === null || typeof (parsed as { op?: unknown }).op !== "string") throw new Error("no op");
      req = parsed as ToolRequest;
    } catch {
      send({ ok: false, error: "bad request (one JSON object a line, with an \"op\")" });
      return;
    }
    if (req.op === "console") {
      // What the console kept for its next reader follows the reply.
      let replied = false;
      const early: Uint8Array[] = [];
      const r = toolstack.console(req.domain, (bytes) => {
        if (!replied) early.push(bytes.slice());
        else if (!socket.destroyed) socket.write(bytes);
      }, () => socket.end());
      if (!r.ok) { send(r); return; }
      send({ ok: true, id: r.id, name: r.name });
      replied = true;
      for (const b of early) socket.write(b);
      stream.consoleInput = r.input;
      cleanup = r.detach;
      return;
    }
    if (req.op === "xs-watch") {
      // The first event (the watch firing at once) follows the reply, as xenstored sends it.
      let replied = false;
      const early: { path: string; token: string }[] = [];
      const r = toolstack.watch(req.path, (path, token) => { if (replied) send({ path, token }); else early.push({ path, token }); });
      if (typeof r === "string") { send({ ok: false, error: r }); return; }
      send({ ok: true });
      replied = true;
      for (const e of early) send(e);
      cleanup = r;
      return;
    }
    let reply: ToolReply;
    try {
      reply = toolstack.request(req);
    } catch (e) {
      reply = { ok: false, error: `internal error: ${(e as Error).message}` };
    }
    const amended = amend ? amend(req, reply).catch(() => reply) : Promise.resolve(reply);
    replies = replies.then(async () => send(await amended));
  };

  socket.on("data", (chunk: Buffer) => {
    if (stream.consoleInput) { stream.consoleInput(new Uint8Array(chunk)); return; }
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const line = Buffer.concat([...pending, chunk.subarray(start, nl)]).toString("utf8");
      pending = []; pendingBytes = 0;
      start = nl + 1;
      handle(line);
      const typed = stream.consoleInput as ((b: Uint8Array) => void) | undefined;
      if (typed) {
        // The rest of this chunk is typed into the console already.
        if (start < chunk.length) typed(new Uint8Array(chunk.subarray(start)));
        return;
      }
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_REQUEST_BYTES) { send({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` }); socket.destroy(); }
    }
  });
}
