/**
 * The client end of `tessera hv`'s management port (manage.ts), shared by `tessera xl` and
 * `tessera xenstore`: which hypervisor (--hv HOST:PORT, else TESSERA_HV, else the default), one
 * request and its reply, or a request that turns the connection into a stream.
 */
import { connect, type Socket } from "node:net";
import { DEFAULT_MANAGE_ADDRESS, parseHostPort, type HostPort } from "./manage.js";
import { UsageError } from "./args.js";

/** How long to wait for a hypervisor to answer (it answers between slices of guest time). */
const CONNECT_TIMEOUT_MS = 5000;
const REPLY_TIMEOUT_MS = 60000;

/** A failure to report in one line, exit 1 (the operation failed, as xl exits 1). */
export class ToolError extends Error {
  override readonly name = "ToolError";
}

export type Reply = Record<string, unknown> & { ok: boolean; error?: string };

/** `--hv HOST:PORT` taken out of argv (anywhere before the command's own arguments), or TESSERA_HV, or the default. */
export function takeHvAddress(argv: string[], env: string | undefined): { address: HostPort; text: string; rest: string[] } {
  const rest: string[] = [];
  let text: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--hv") {
      if (i + 1 >= argv.length) throw new UsageError("option --hv needs HOST:PORT");
      text = argv[++i];
    } else if (a.startsWith("--hv=")) text = a.slice(5);
    else rest.push(a);
  }
  const from = text !== undefined ? "--hv" : env !== undefined && env !== "" ? "TESSERA_HV" : undefined;
  text ??= from ? env! : DEFAULT_MANAGE_ADDRESS;
  const address = parseHostPort(text);
  if (!address) throw new UsageError(`invalid ${from ?? "address"} '${text}' (HOST:PORT)`);
  return { address, text: `${address.host}:${address.port}`, rest };
}

function open(address: HostPort): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const timer = setTimeout(() => { socket.destroy(); reject(new ToolError(`no hypervisor answers at ${address.host}:${address.port} (timed out)`)); }, CONNECT_TIMEOUT_MS);
    socket.once("connect", () => { clearTimeout(timer); socket.setNoDelay(true); resolve(socket); });
    socket.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = e.code === "ECONNREFUSED" ? "connection refused" : e.code === "ENOTFOUND" ? "no such host" : e.message;
      reject(new ToolError(`cannot reach a hypervisor at ${address.host}:${address.port}: ${why} (is tessera hv running? --hv HOST:PORT or TESSERA_HV names another)`));
    });
  });
}

/**
 * Send `req`; resolve with the reply line. With `stream`, the connection stays open after the
 * reply and what follows goes to `stream.data` until the far end closes or `stream` closes it.
 */
export async function call(address: HostPort, req: Record<string, unknown>, stream?: {
  data(chunk: Buffer): void;
  /** The connection, once the reply is in: to write to it and end it. */
  opened?(socket: Socket): void;
  closed?(): void;
}): Promise<Reply> {
  const socket = await open(address);
  return new Promise((resolve, reject) => {
    let buffered: Buffer[] = [];
    let replied = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new ToolError(`no answer from the hypervisor at ${address.host}:${address.port}`)); }, REPLY_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      if (replied) { stream?.data(chunk); return; }
      const nl = chunk.indexOf(10);
      if (nl < 0) { buffered.push(chunk); return; }
      const line = Buffer.concat([...buffered, chunk.subarray(0, nl)]).toString("utf8");
      buffered = [];
      replied = true;
      clearTimeout(timer);
      let reply: Reply;
      try { reply = JSON.parse(line) as Reply; } catch { socket.destroy(); reject(new ToolError("the hypervisor's answer is not JSON")); return; }
      if (!stream || !reply.ok) { socket.end(); resolve(reply); return; }
      resolve(reply);
      stream.opened?.(socket);
      if (nl + 1 < chunk.length) stream.data(chunk.subarray(nl + 1));
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      if (!replied) reject(new ToolError(`the hypervisor at ${address.host}:${address.port} closed the connection without an answer`));
      else stream?.closed?.();
    });
    socket.write(JSON.stringify(req) + "\n");
  });
}

/** The reply of a request that must succeed: its error is a ToolError. */
export async function mustCall(address: HostPort, req: Record<string, unknown>): Promise<Reply> {
  const r = await call(address, req);
  if (!r.ok) throw new ToolError(String(r.error ?? "failed"));
  return r;
}
