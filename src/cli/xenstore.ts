/**
 * `tessera xenstore ls|read|write|rm|chmod|watch`: Xen's xenstore-* tools (tools/xenstore,
 * xenstore_client.c) against the XenStore of a running `tessera hv`, as dom0 (the toolstack).
 * One store serves every Xen partition, /local/domain/N each, with Xen's permissions: the
 * first entry of a node's list is its owner and the access of domains not listed after it,
 * n (none), r (read), w (write) or b (both), each followed by a domain id.
 */
import { UsageError } from "./args.js";
import { call, mustCall, takeHvAddress, ToolError } from "./manage-client.js";
import { EXIT_FAILURE, EXIT_OK, writeStderr, writeStdout } from "./process-host.js";
import { DEFAULT_MANAGE_ADDRESS, type HostPort } from "./manage.js";

const USAGE = `usage: tessera xenstore [--hv HOST:PORT] COMMAND [ARGS]
  ls [-f] [-p] [PATH]          the tree under PATH (default /): -f full paths, -p permissions
  read PATH ...                each node's value
  write PATH VALUE ...         set nodes (created with their parents)
  rm PATH ...                  remove nodes and everything under them
  chmod [-r] PATH PERM ...     set permissions (n, r, w, b with a domain id: b, r1, n0 ...); -r recursively
  watch [-n NR] PATH           print PATH each time something under it changes (-n: after NR events, stop)
The hypervisor is --hv HOST:PORT, else $TESSERA_HV, else ${DEFAULT_MANAGE_ADDRESS} (tessera hv --manage's default).`;

/** xenstore-ls's column for the permissions with -p (xenstore_client.c desired_width). */
const PERMS_COLUMN = 60;

/** xs_sanitise_value: what is not printable shows as an escape. */
function sanitise(value: string): string {
  let out = "";
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (ch === "\\") out += "\\\\";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c >= 0x7f) out += `\\${c.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  return out;
}

export async function xenstoreMain(argv: string[]): Promise<number> {
  const { address, rest } = takeHvAddress(argv, process.env.TESSERA_HV);
  const [command, ...args] = rest;
  try {
    switch (command) {
      case undefined: case "help": case "-h": case "--help":
        writeStdout(USAGE + "\n");
        return command === undefined ? 2 : EXIT_OK;
      case "ls": case "list": return await ls(address, args);
      case "read": {
        const paths = args.filter((a) => a !== "-s");
        if (paths.length === 0) throw new UsageError("xenstore read: PATH expected");
        for (const path of paths) writeStdout(sanitise(String((await mustCall(address, { op: "xs-read", path })).value)) + "\n");
        return EXIT_OK;
      }
      case "write": {
        if (args.length === 0 || args.length % 2 !== 0) throw new UsageError("xenstore write: PATH VALUE pairs expected");
        for (let i = 0; i < args.length; i += 2) await mustCall(address, { op: "xs-write", path: args[i], value: args[i + 1] });
        return EXIT_OK;
      }
      case "rm": {
        const paths = args.filter((a) => a !== "-s");
        if (paths.length === 0) throw new UsageError("xenstore rm: PATH expected");
        for (const path of paths) await mustCall(address, { op: "xs-rm", path });
        return EXIT_OK;
      }
      case "chmod": {
        const recursive = args.includes("-r");
        const pos = args.filter((a) => a !== "-r" && a !== "-s" && a !== "-u");
        if (pos.length < 2) throw new UsageError("xenstore chmod: PATH PERM ... expected (PERM: n, r, w or b, then a domain id)");
        await mustCall(address, { op: "xs-chmod", path: pos[0], perms: pos.slice(1), recursive });
        return EXIT_OK;
      }
      case "watch": return await watch(address, args);
      default:
        throw new UsageError(`xenstore: unknown command '${command}' (tessera xenstore help lists them)`);
    }
  } catch (e) {
    if (e instanceof ToolError) { writeStderr(`tessera: xenstore ${command}: ${e.message}`); return EXIT_FAILURE; }
    throw e;
  }
}

async function ls(address: HostPort, args: string[]): Promise<number> {
  const full = args.includes("-f"), perms = args.includes("-p");
  const pos = args.filter((a) => a !== "-f" && a !== "-p" && a !== "-s");
  if (pos.length > 1) throw new UsageError("xenstore ls: at most one PATH");
  const path = pos[0] ?? "/";
  const r = await mustCall(address, { op: "xs-ls", path });
  const base = path === "/" ? "" : path.replace(/\/$/, "");
  const stack: string[] = [];
  let out = "";
  for (const [depth, name, value, p] of r.entries as [number, string, string, string][]) {
    stack.length = depth;
    stack.push(name);
    let line = full ? `${base}/${stack.join("/")}` : `${" ".repeat(depth)}${name}`;
    line += ` = "${sanitise(value)}"`;
    if (perms) line = `${line.padEnd(PERMS_COLUMN - 1)} (${p})`;
    out += line + "\n";
  }
  writeStdout(out);
  return EXIT_OK;
}

async function watch(address: HostPort, args: string[]): Promise<number> {
  let limit = Infinity;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "-n") {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`xenstore watch: -n takes a count, not '${args[i]}'`);
      limit = n;
    } else if (args[i] !== "-s") pos.push(args[i]);
  }
  if (pos.length !== 1) throw new UsageError("xenstore watch: one PATH expected");
  let seen = 0, pending = "";
  let finish: (code: number) => void = () => {};
  const ended = new Promise<number>((resolve) => { finish = resolve; });
  let socket: import("node:net").Socket | undefined;
  const r = await call(address, { op: "xs-watch", path: pos[0] }, {
    opened: (s) => { socket = s; },
    data: (chunk) => {
      pending += chunk.toString("utf8");
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0 && seen < limit) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          const e = JSON.parse(line) as { path: string };
          writeStdout(e.path + "\n");
          if (++seen >= limit) { socket?.destroy(); finish(EXIT_OK); }
        } catch { /* a line that is not an event: ignored */ }
      }
    },
    closed: () => {
      if (seen < limit) writeStderr("tessera: xenstore watch: the hypervisor closed the connection");
      finish(seen >= limit ? EXIT_OK : EXIT_FAILURE);
    },
  });
  if (!r.ok) throw new ToolError(String(r.error));
  return ended;
}
