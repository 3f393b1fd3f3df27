/**
 * The toolstack: what Xen's xl asks of libxl, done on the partitioning hypervisor. Domains are
 * partitions: those of the config keep their numbers (1, 2, ...), and `xl create` adds
 * partitions at run time from the CPUs and memory the config leaves free, numbered after every
 * id used so far (Xen does not reuse a domid either). There is no Domain-0: the toolstack,
 * XenStore and the console back end are the hypervisor itself, which has no vCPUs or memory of
 * a domain; id 0 stays reserved for it, as XenStore's dom0.
 *
 * Platform-neutral: requests and replies are plain objects (the CLI frames them as JSON lines
 * over TCP, src/cli/manage.ts; a browser page could call `request` directly); files are read
 * by the client and their bytes come with the request.
 */
import { planBoot } from "../loaders/boot.js";
import { VIRT } from "../boards/virt/memory-map.js";
import { BOARD_RAM_BASE, GUEST_RAM_BASE, MAX_PARTITIONS, type PartitionConfig } from "./config.js";
import { DOORBELL_IPA, WATCHDOG_IPA, type Hypervisor } from "./hypervisor.js";
import { parseCpuList, parseXlConfig, type XlDomainConfig } from "./xl-config.js";
import { xlDisks, xlVifs } from "./xl-devices.js";
import { XEN_MAJOR, XEN_MINOR, XEN_EXTRAVERSION, XEN_REGION_IPA, XEN_REGION_SIZE } from "./xen/abi.js";
import { XS } from "./xen/xs-wire.js";

const MiB = 1 << 20;
const PAGE = 4096;
/** Guest RAM of xl's domains starts 2 MiB aligned in physical memory (arm64 Images want 2 MiB). */
const RAM_ALIGN = 2 * MiB;
/** The GIC's frames on the virt board (distributor to the end of the redistributors): never handed to a domain. */
const GIC_START = VIRT.GIC_DIST, GIC_END = VIRT.GIC_REDIST + VIRT.GIC_REDIST_SIZE;

export interface DomainInfo {
  name: string;
  id: number;
  memMiB: number;
  vcpus: number;
  /** xl list's six state letters: r b p s (shutdown reason) d. */
  state: string;
  cpuSeconds: number;
  /** Created by xl (as opposed to a partition of the config). */
  created: boolean;
  /** Where its console listens on TCP ("HOST:PORT"), when the host gives it one (the CLI's console ports). */
  console?: string;
}

export interface VcpuInfo {
  name: string;
  id: number;
  vcpu: number;
  cpu: number;
  /** xl vcpu-list's three letters: r, b, and p when the vCPU is offline. */
  state: string;
  seconds: number;
  affinity: string;
}

export type ToolRequest = Record<string, unknown> & { op: string };
export type ToolReply = ({ ok: true } & Record<string, unknown>) | { ok: false; error: string };

/** What the host gives the toolstack: the consoles (the host routes console output). */
export interface ToolstackHost {
  /**
   * Attach to partition `id`'s console: its output goes to `write`, and `ended` is called when
   * the partition is destroyed (xl console then ends, as when a domain dies); undefined when it
   * has no console.
   */
  attachConsole(id: number, write: (bytes: Uint8Array) => void, ended: () => void): { input(bytes: Uint8Array): void; detach(): void } | undefined;
}

function fail(error: string): ToolReply {
  return { ok: false, error };
}

function fromBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** xl's way of printing a set of CPUs: "all", or ranges "1-3,5". */
function cpuSetText(cpus: number[], boardCpus: number): string {
  if (cpus.length === boardCpus) return "all";
  const sorted = [...cpus].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j;
  }
  return parts.join(",");
}

const overlaps = (a: number, aEnd: number, b: number, bEnd: number) => a < bEnd && b < aEnd;

export class Toolstack {
  /** Every domain id given so far: new ones come after (Xen's domids count up). */
  private lastId: number;
  /** What xl create was given for the domain's PV devices (vif and disk), as xl keeps it. */
  private readonly recorded = new Map<number, { vif: string[]; disk: string[] }>();

  constructor(readonly hv: Hypervisor, private readonly host: ToolstackHost) {
    this.lastId = Math.max(0, ...hv.config.partitions.map((p) => p.id));
  }

  /** A domain by name or id, as xl's find_domain; the message xl prints otherwise. */
  findDomain(name: unknown): PartitionConfig | string {
    const text = String(name ?? "");
    const parts = this.hv.config.partitions;
    const p = /^\d+$/.test(text) ? parts.find((x) => x.id === Number(text)) : parts.find((x) => x.label === text || x.name === text);
    return p ?? `${text} is an invalid domain identifier`;
  }

  request(req: ToolRequest): ToolReply {
    switch (req.op) {
      case "create": return this.create(req);
      case "list": return { ok: true, domains: this.list() };
      case "destroy": case "shutdown": case "reboot": case "pause": case "unpause": return this.lifecycle(req.op, req.domain, req.force === true);
      case "vcpu-list": return this.vcpuList(req.domain);
      case "vcpu-pin": return this.vcpuPin(req.domain, req.vcpu, req.cpus);
      case "info": return { ok: true, info: this.info() };
      case "dmesg": { const lines = [...this.hv.log]; if (req.clear === true) this.hv.log.length = 0; return { ok: true, lines }; }
      case "xs-read": case "xs-write": case "xs-rm": case "xs-ls": case "xs-chmod": case "xs-perms": return this.xenstore(req);
      default: return fail(`unknown operation '${String(req.op)}'`);
    }
  }

  // ---------------- domains ----------------

  list(): DomainInfo[] {
    return this.hv.parts.map((p) => {
      const c = p.config;
      const on = p.vcpus.filter((v) => !v.off);
      const running = p.state === "running" && on.some((v) => !v.halted);
      const blocked = p.state === "running" && !running;
      const ended = p.state === "crashed" || (p.state === "stopped" && p.shutdownReason !== undefined);
      // libxl's shutdown reason letters "-rscw": poweroff, reboot, suspend, crash, watchdog.
      const reason = !ended ? "-" : ({ poweroff: "-", reboot: "r", crash: "c", watchdog: "w" } as const)[p.shutdownReason ?? "crash"];
      const state = `${running ? "r" : "-"}${blocked ? "b" : "-"}${p.state === "paused" ? "p" : "-"}${ended ? "s" : "-"}${reason}-`;
      return {
        name: c.label, id: c.id, memMiB: Math.floor(c.ramSize / MiB), vcpus: c.pcpus.length, state,
        cpuSeconds: p.cpuSeconds.reduce((a, b) => a + b, 0), created: c.domain?.dynamic === true,
      };
    });
  }

  /** The CPUs no partition holds (a stopped partition of the config keeps its own). */
  freeCpus(): number[] {
    const used = new Set(this.hv.config.partitions.flatMap((p) => p.pcpus));
    return Array.from({ length: this.hv.config.cpus }, (_, i) => i).filter((c) => !used.has(c));
  }

  /** Physical RAM ranges no memory area of the config and no domain holds, in address order. */
  freeMemory(): { start: number; end: number }[] {
    const taken = [
      ...this.hv.config.pmas.map((a) => ({ start: a.addr, end: a.addr + a.size })),
      ...this.hv.config.partitions.flatMap((p) => p.memory.map((m) => ({ start: m.pma.addr, end: m.pma.addr + m.pma.size }))),
    ].sort((a, b) => a.start - b.start);
    const out: { start: number; end: number }[] = [];
    let at = BOARD_RAM_BASE;
    const end = BOARD_RAM_BASE + this.hv.config.memorySize;
    for (const t of taken) {
      if (t.start > at) out.push({ start: at, end: Math.min(t.start, end) });
      at = Math.max(at, t.end);
    }
    if (at < end) out.push({ start: at, end });
    return out.filter((r) => r.end > r.start);
  }

  /** SPIs that reach a partition already: its devices' and its irqs. */
  private ownedSpis(): Map<number, string> {
    const owned = new Map<number, string>();
    for (const p of this.hv.config.partitions) {
      for (const d of p.devices) {
        const cells = this.hv.boardTree.find(d.path)?.prop("interrupts")?.asU32Array() ?? [];
        for (let i = 0; i + 2 < cells.length; i += 3) if (cells[i] === 0) owned.set(32 + cells[i + 1], p.label);
      }
      for (const intid of p.domain?.irqs ?? []) owned.set(intid, p.label);
    }
    return owned;
  }

  /** Physical device ranges given to partitions: their devices' registers and their iomem. */
  private ownedIomem(): { start: number; end: number; owner: string }[] {
    const out: { start: number; end: number; owner: string }[] = [];
    for (const p of this.hv.config.partitions) {
      for (const d of p.devices) {
        for (const r of this.hv.boardTree.find(d.path)?.reg() ?? []) {
          const start = Number(r.address);
          out.push({ start, end: start + Math.max(PAGE, Number(r.size)), owner: p.label });
        }
      }
      for (const r of p.domain?.iomem ?? []) out.push({ start: r.pa, end: r.pa + r.size, owner: p.label });
    }
    return out;
  }

  private create(req: ToolRequest): ToolReply {
    const file = typeof req.file === "string" ? req.file : "config";
    if (typeof req.config !== "string") return fail("create: no configuration text");
    const parsed = parseXlConfig(req.config, this.hv.config.cpus);
    if (!parsed.ok) return fail(parsed.problems.map((p) => `${file}${p.line ? `:${p.line}` : ""}: ${p.message}`).join("\n"));
    const cfg = parsed.config;
    const kernel = fromBase64(req.kernel);
    if (!kernel) return fail(`kernel "${cfg.kernel}": its bytes did not come with the request`);
    const ramdisk = cfg.ramdisk !== undefined ? fromBase64(req.ramdisk) : undefined;
    if (cfg.ramdisk !== undefined && !ramdisk) return fail(`ramdisk "${cfg.ramdisk}": its bytes did not come with the request`);
    const problem = this.checkFits(cfg, kernel, ramdisk);
    if (typeof problem === "string") return fail(problem);
    const where = `${file} (xl create)`;
    const vifs = xlVifs(cfg.vif, this.lastId + 1, this.hv.config.switches, where);
    if (typeof vifs === "string") return fail(vifs);
    const vbds = xlDisks(cfg.disk, where);
    if (typeof vbds === "string") return fail(vbds);
    // The images are opened before the domain is made, so a bad one is xl create's error.
    // A later one failing gives back those already opened.
    for (const vbd of vbds) {
      let problem: string | undefined;
      try {
        vbd.size = this.hv.diskOf(vbd).size;
        if (vbd.size === 0 || vbd.size % 512) problem = `${vbd.size} bytes is not a whole number of 512-byte sectors`;
      } catch (e) {
        problem = (e as Error).message;
      }
      if (problem !== undefined) {
        this.hv.releaseDisks(vbds, cfg.name);
        return fail(`disk ${vbd.target}: ${problem}`);
      }
    }
    const id = ++this.lastId;
    const { pcpus, ram } = problem;
    const pc: PartitionConfig = {
      name: cfg.name, label: cfg.name, id, pcpus,
      memory: [{ pma: { name: `domain-${id}-ram`, addr: ram, size: cfg.memoryMiB * MiB, where }, guestAddr: GUEST_RAM_BASE, size: cfg.memoryMiB * MiB, writable: true, isRam: true, where }],
      ramSize: cfg.memoryMiB * MiB,
      guestImage: { image: { kind: "bytes", name: cfg.kernel, data: kernel, size: kernel.length }, where },
      linuxRootfs: ramdisk ? { image: { kind: "bytes", name: cfg.ramdisk!, data: ramdisk, size: ramdisk.length }, where } : undefined,
      bootargs: cfg.cmdline, devices: [], sendDoorbells: [], receiveDoorbells: [], nics: [], vifs, vbds, autoStart: true, onCrash: "stop",
      // Every domain xl creates gets Xen's guest interface, as every domU on Xen does.
      xen: true, where,
      domain: {
        onPoweroff: cfg.onPoweroff, onReboot: cfg.onReboot, onCrash: cfg.onCrash, dynamic: true, irqs: cfg.irqs,
        iomem: cfg.iomem.map((r) => ({ pa: r.mfn * PAGE, ipa: r.gfn * PAGE, size: r.pages * PAGE })),
      },
    };
    this.recorded.set(id, { vif: cfg.vif, disk: cfg.disk });
    try {
      this.hv.addPartition(pc, req.paused === true);
    } catch (e) {
      // Checked above, so not expected: the domain goes, and nothing else is touched.
      this.hv.removePartition(id);
      this.recorded.delete(id);
      return fail(`${cfg.name}: could not be started: ${(e as Error).message}`);
    }
    const notes: string[] = [];
    if (cfg.deviceTree) notes.push("device_tree: recorded, the domain boots with the tree tessera builds for it");
    return { ok: true, id, name: cfg.name, cpus: pcpus, ram: hex(ram), notes };
  }

  /** Whether the domain fits in what is free: its CPUs and RAM, or the one line xl would print. */
  private checkFits(cfg: XlDomainConfig, kernel: Uint8Array, ramdisk: Uint8Array | undefined): { pcpus: number[]; ram: number } | string {
    const hv = this.hv;
    if (hv.config.partitions.some((p) => p.label === cfg.name || p.name === cfg.name)) return `domain with name "${cfg.name}" already exists`;
    if (!hv.hasFreeSlot) return `no room for another domain (at most ${MAX_PARTITIONS} partitions at once)`;
    // CPUs: each vCPU gets a physical CPU of its own (a static partition, Xen's null scheduler).
    const free = this.freeCpus();
    const pcpus: number[] = [];
    for (let v = 0; v < cfg.vcpus; v++) {
      const allowed = cfg.cpus ? cfg.cpus[Math.min(v, cfg.cpus.length - 1)] : free;
      const pick = allowed.find((c) => free.includes(c) && !pcpus.includes(c));
      if (pick === undefined) {
        const owners = allowed.filter((c) => !free.includes(c)).map((c) => `CPU ${c} is ${hv.config.partitions.find((p) => p.pcpus.includes(c))?.label ?? "taken"}'s`);
        if (!cfg.cpus) return `vcpus = ${cfg.vcpus}: only ${free.length} CPU${free.length === 1 ? "" : "s"} free (${free.length ? free.join(",") : "none"}); each vCPU needs a CPU of its own`;
        return `cpus: no free CPU for vCPU ${v} among ${cpuSetText(allowed, hv.config.cpus)}${owners.length ? ` (${owners.join(", ")})` : ""}`;
      }
      pcpus.push(pick);
    }
    // RAM: the first free range that holds it.
    const size = cfg.memoryMiB * MiB;
    const ranges = this.freeMemory();
    let ram: number | undefined;
    for (const r of ranges) {
      const start = Math.ceil(r.start / RAM_ALIGN) * RAM_ALIGN;
      if (start + size <= r.end) { ram = start; break; }
    }
    if (ram === undefined) {
      const largest = Math.max(0, ...ranges.map((r) => r.end - Math.ceil(r.start / RAM_ALIGN) * RAM_ALIGN));
      const total = ranges.reduce((a, r) => a + r.end - r.start, 0);
      return `memory = ${cfg.memoryMiB}: not enough free memory (${Math.floor(total / MiB)} MiB free, the largest free range ${Math.floor(largest / MiB)} MiB)`;
    }
    // iomem: the board's device space only, never RAM or the GIC, and no other domain's device.
    const owned = this.ownedIomem();
    for (const r of cfg.iomem) {
      const pa = r.mfn * PAGE, ipa = r.gfn * PAGE, end = pa + r.pages * PAGE, ipaEnd = ipa + r.pages * PAGE;
      const spec = `iomem "${r.mfn.toString(16)},${r.pages.toString(16)}@${r.gfn.toString(16)}"`;
      if (end > BOARD_RAM_BASE) return `${spec}: [${hex(pa)}, ${hex(end)}) is not device memory of the board (below ${hex(BOARD_RAM_BASE)})`;
      if (overlaps(pa, end, GIC_START, GIC_END)) return `${spec}: [${hex(pa)}, ${hex(end)}) overlaps the GIC, which the hypervisor keeps`;
      const other = owned.find((o) => overlaps(pa, end, o.start, o.end));
      if (other) return `${spec}: [${hex(pa)}, ${hex(end)}) is in use by ${other.owner}`;
      if (ipaEnd > GUEST_RAM_BASE) return `${spec}: guest frames [${hex(ipa)}, ${hex(ipaEnd)}) overlap the domain's RAM at ${hex(GUEST_RAM_BASE)}`;
      if (overlaps(ipa, ipaEnd, GIC_START, GIC_END)) return `${spec}: guest frames [${hex(ipa)}, ${hex(ipaEnd)}) overlap the domain's GIC`;
      if (overlaps(ipa, ipaEnd, DOORBELL_IPA, WATCHDOG_IPA + PAGE) || overlaps(ipa, ipaEnd, XEN_REGION_IPA, XEN_REGION_IPA + XEN_REGION_SIZE)) {
        return `${spec}: guest frames [${hex(ipa)}, ${hex(ipaEnd)}) overlap the hypervisor's pages (doorbells, watchdog, Xen's grant table and rings)`;
      }
      owned.push({ start: pa, end, owner: cfg.name });
    }
    const spis = this.ownedSpis();
    const seen = new Set<number>();
    for (const irq of cfg.irqs) {
      if (irq < 32 || irq >= VIRT.GIC_NUM_IRQS) return `irqs: ${irq} is not an SPI of the board (32 to ${VIRT.GIC_NUM_IRQS - 1})`;
      const owner = spis.get(irq);
      if (owner) return `irqs: ${irq} is in use by ${owner}`;
      if (seen.has(irq)) return `irqs: ${irq} is listed twice`;
      seen.add(irq);
    }
    // The kernel must be one the loader knows (ELF, arm64 Image, raw binary) and fit.
    try {
      planBoot({ kernel, initrd: ramdisk, ramBase: GUEST_RAM_BASE, ramSize: size });
    } catch (e) {
      return `kernel "${cfg.kernel}": ${(e as Error).message}`;
    }
    if (kernel.length + (ramdisk?.length ?? 0) > size) return `kernel "${cfg.kernel}" and ramdisk do not fit in memory = ${cfg.memoryMiB}`;
    return { pcpus, ram };
  }

  private lifecycle(op: "destroy" | "shutdown" | "reboot" | "pause" | "unpause", name: unknown, force: boolean): ToolReply {
    const c = this.findDomain(name);
    if (typeof c === "string") return fail(c);
    const p = this.hv.parts.find((x) => x.config === c)!;
    switch (op) {
      case "destroy":
        if (c.domain?.dynamic) { this.hv.removePartition(c.id); this.recorded.delete(c.id); this.hv.event(`${c.label}: destroyed`); }
        else if (p.state !== "stopped") { this.hv.stop(c.id); p.shutdownReason = undefined; }
        return { ok: true };
      case "pause": { const e = this.hv.pause(c.id); return e ? fail(`pause ${c.label}: ${e}`) : { ok: true }; }
      case "unpause": { const e = this.hv.resume(c.id); return e ? fail(`unpause ${c.label}: ${e}`) : { ok: true }; }
      case "shutdown": case "reboot": {
        if (p.state !== "running" && p.state !== "paused") return fail(`${op} ${c.label}: it is ${p.state}`);
        // Xen asks the guest through XenStore (control/shutdown, which its PV driver watches).
        if (c.xen) {
          this.hv.xenstore.write(`/local/domain/${c.id}/control/shutdown`, op === "shutdown" ? "poweroff" : "reboot", [{ kind: "n", dom: c.id }]);
          return { ok: true };
        }
        // A partition without Xen's interface has no PV control: -F acts as the power button would.
        if (!force) return fail(`${op} ${c.label}: PV control interface not available (not a Xen partition): use -F to ${op === "shutdown" ? "stop" : "restart"} it`);
        const e = op === "shutdown" ? this.hv.stop(c.id) : this.hv.restart(c.id);
        return e ? fail(`${op} ${c.label}: ${e}`) : { ok: true };
      }
    }
  }

  private vcpuList(name: unknown): ToolReply {
    const configs = name === undefined ? this.hv.config.partitions : [this.findDomain(name)];
    const out: VcpuInfo[] = [];
    for (const c of configs) {
      if (typeof c === "string") return fail(c);
      const p = this.hv.parts.find((x) => x.config === c)!;
      p.vcpus.forEach((v, i) => {
        // Online: started and not powered off (PSCI CPU_OFF, or not yet CPU_ON); a paused domain's as they were.
        const online = p.state === "running" ? !v.off : p.state === "paused" ? p.paused[i] === true : false;
        out.push({
          name: c.label, id: c.id, vcpu: i, cpu: c.pcpus[i],
          state: !online ? "--p" : `${p.state === "running" && !v.off && !v.halted ? "r" : "-"}${p.state === "running" && !v.off && v.halted ? "b" : "-"}-`,
          seconds: p.cpuSeconds[i] ?? 0, affinity: String(c.pcpus[i]),
        });
      });
    }
    return { ok: true, vcpus: out, nrCpus: this.hv.config.cpus };
  }

  /**
   * xl vcpu-pin DOMAIN VCPU CPUS: a vCPU of a static partition has a physical CPU of its own, so
   * pinning chooses that CPU among the free ones. A running (or paused) vCPU moves there with
   * its state (Hypervisor.moveVcpu); a domain that has not started (xl create -p) or has
   * stopped takes the new CPU at its next start.
   */
  private vcpuPin(name: unknown, vcpuText: unknown, cpusText: unknown): ToolReply {
    const c = this.findDomain(name);
    if (typeof c === "string") return fail(c);
    const p = this.hv.parts.find((x) => x.config === c)!;
    const vcpus = vcpuText === "all" ? c.pcpus.map((_, i) => i) : [Number(vcpuText)];
    if (vcpus.some((v) => !Number.isInteger(v) || v < 0 || v >= c.pcpus.length)) return fail(`Error: Invalid argument ${String(vcpuText)} as VCPU (${c.label} has ${c.pcpus.length})`);
    const allowed = parseCpuList(String(cpusText ?? ""), this.hv.config.cpus);
    if (typeof allowed === "string") return fail(`cpus ${allowed}`);
    const free = this.freeCpus();
    const next = [...c.pcpus];
    for (const v of vcpus) {
      if (allowed.includes(next[v])) continue;
      const pick = allowed.find((cpu) => free.includes(cpu) && !next.includes(cpu));
      if (pick === undefined) return fail(`Could not set affinity for vcpu \`${v}': no free CPU among ${cpuSetText(allowed, this.hv.config.cpus)} (each vCPU has a CPU of its own)`);
      next[v] = pick;
    }
    if (next.every((cpu, i) => cpu === c.pcpus[i])) return { ok: true };
    const startsAfresh = p.state === "stopped" || p.state === "crashed" || p.createdPaused;
    if (startsAfresh) c.pcpus.splice(0, c.pcpus.length, ...next);
    else {
      // A running (or paused) domain's vCPU moves, its state with it.
      for (const v of vcpus) {
        if (next[v] === c.pcpus[v]) continue;
        const e = this.hv.moveVcpu(c.id, v, next[v]);
        if (e) return fail(`Could not set affinity for vcpu \`${v}': ${e}`);
      }
    }
    this.hv.event(`${c.label}: vCPU${vcpus.length > 1 ? "s" : ""} ${vcpus.join(",")} pinned to CPU${vcpus.length > 1 ? "s" : ""} ${vcpus.map((v) => next[v]).join(",")}`);
    return { ok: true };
  }

  /** xl info's fields (xl_info.c, output_xeninfo / output_physinfo) as they stand here. */
  info(): [string, string][] {
    const cfg = this.hv.config;
    const free = this.freeMemory().reduce((a, r) => a + r.end - r.start, 0);
    return [
      ["host", "tessera"],
      ["machine", "aarch64"],
      ["nr_cpus", String(cfg.cpus)],
      ["max_cpu_id", String(cfg.cpus - 1)],
      ["nr_nodes", "1"],
      ["cores_per_socket", String(cfg.cpus)],
      ["threads_per_core", "1"],
      ["virt_caps", "hap"],
      ["total_memory", String(cfg.memorySize / MiB)],
      ["free_memory", String(Math.floor(free / MiB))],
      ["free_cpus", cpuSetText(this.freeCpus(), cfg.cpus) || "none"],
      ["xen_major", String(XEN_MAJOR)],
      ["xen_minor", String(XEN_MINOR)],
      ["xen_extra", XEN_EXTRAVERSION],
      ["xen_version", `${XEN_MAJOR}.${XEN_MINOR}${XEN_EXTRAVERSION}`],
      ["xen_caps", "xen-3.0-aarch64"],
      // One vCPU per physical CPU, never moved: what Xen's null scheduler does.
      ["xen_scheduler", "null"],
      ["xen_pagesize", String(PAGE)],
      ["platform", `virt, GICv${cfg.gicVersion}`],
      ["domains", String(this.hv.parts.length)],
    ];
  }

  // ---------------- console ----------------

  /** xl console: attach to a domain's console. */
  console(name: unknown, write: (bytes: Uint8Array) => void, ended: () => void): { ok: true; id: number; name: string; input(b: Uint8Array): void; detach(): void } | { ok: false; error: string } {
    // Xen users type `xl console 0` for dom0's: here dom0's part is the hypervisor's, whose console is HV>.
    if (String(name) === "0" || name === "Domain-0") return { ok: false, error: "Domain-0 has no console here: the hypervisor plays its part, and HV> (console 0 of tessera hv, console-port) is the hypervisor's console" };
    const c = this.findDomain(name);
    if (typeof c === "string") return { ok: false, error: c };
    const a = this.host.attachConsole(c.id, write, ended);
    if (!a) return { ok: false, error: `${c.label} has no console` };
    return { ok: true, id: c.id, name: c.label, ...a };
  }

  // ---------------- XenStore (as dom0) ----------------

  private xs(type: number, ...args: string[]): { payload: Uint8Array } | { error: string } {
    const enc = new TextEncoder();
    const text = type === XS.WRITE ? `${args[0]}\0${args[1]}` : args.map((a) => `${a}\0`).join("");
    return this.hv.xenstore.request(0, type, 0, enc.encode(text));
  }

  private xenstore(req: ToolRequest): ToolReply {
    const dec = new TextDecoder("latin1");
    const path = typeof req.path === "string" ? req.path : "";
    if (!path.startsWith("/")) return fail(`path '${path}': an absolute path (/local/domain/N/...) is needed`);
    const err = (r: { error: string }) => fail(`${req.op.slice(3)} ${path}: ${r.error === "ENOENT" ? "No such file or directory" : r.error === "EACCES" ? "Permission denied" : r.error === "EINVAL" ? "Invalid argument" : r.error}`);
    switch (req.op) {
      case "xs-read": {
        const r = this.xs(XS.READ, path);
        return "error" in r ? err(r) : { ok: true, value: dec.decode(r.payload) };
      }
      case "xs-write": {
        if (typeof req.value !== "string") return fail("write: no value");
        const r = this.xs(XS.WRITE, path, req.value);
        return "error" in r ? err(r) : { ok: true };
      }
      case "xs-rm": {
        const r = this.xs(XS.RM, path);
        return "error" in r ? err(r) : { ok: true };
      }
      case "xs-perms": {
        const r = this.xs(XS.GET_PERMS, path);
        return "error" in r ? err(r) : { ok: true, perms: dec.decode(r.payload).split("\0").filter((s) => s !== "") };
      }
      case "xs-ls": {
        // The subtree below `path`: [depth, name, value, perms] in xenstore-ls's order.
        const entries: [number, string, string, string][] = [];
        const walk = (at: string, depth: number): ToolReply | undefined => {
          const d = this.xs(XS.DIRECTORY, at);
          if ("error" in d) return depth === 0 ? err(d) : undefined;
          for (const child of dec.decode(d.payload).split("\0").filter((s) => s !== "")) {
            const full = at === "/" ? `/${child}` : `${at}/${child}`;
            const v = this.xs(XS.READ, full), pm = this.xs(XS.GET_PERMS, full);
            entries.push([depth, child, "error" in v ? "" : dec.decode(v.payload), "error" in pm ? "" : dec.decode(pm.payload).split("\0").filter((s) => s).join(",")]);
            walk(full, depth + 1);
          }
          return undefined;
        };
        const bad = walk(path, 0);
        return bad ?? { ok: true, entries };
      }
      case "xs-chmod": {
        // xenstore-chmod: each permission is n, r, w or b and a domain id (missing: 0,
        // as xs_strings_to_perms reads it); the first names the owner and everyone else's access.
        const perms = Array.isArray(req.perms) ? req.perms.map(String) : [];
        if (perms.length === 0) return fail("chmod: no permissions (n, r, w or b, each with a domain id)");
        const parsed: string[] = [];
        for (const p of perms) {
          const m = /^([nrwb])(\d{0,5})$/.exec(p);
          if (!m) return fail(`chmod: invalid permission '${p}' (n, r, w or b, then a domain id)`);
          parsed.push(`${m[1]}${m[2] === "" ? "0" : Number(m[2])}`);
        }
        const apply = (at: string): ToolReply | undefined => {
          const r = this.xs(XS.SET_PERMS, at, ...parsed);
          if ("error" in r) return err(r);
          if (req.recursive !== true) return undefined;
          const d = this.xs(XS.DIRECTORY, at);
          if ("error" in d) return undefined;
          for (const child of dec.decode(d.payload).split("\0").filter((s) => s !== "")) {
            const bad = apply(at === "/" ? `/${child}` : `${at}/${child}`);
            if (bad) return bad;
          }
          return undefined;
        };
        return apply(path) ?? { ok: true };
      }
    }
    return fail(`unknown operation '${req.op}'`);
  }

  /** xenstore-watch: `deliver` gets (path, token) at once and on every change under `path`; the result stops it. */
  watch(path: unknown, deliver: (path: string, token: string) => void): (() => void) | string {
    if (typeof path !== "string" || !(path.startsWith("/") || path.startsWith("@"))) return `watch: an absolute path or @introduceDomain/@releaseDomain is needed, not '${String(path)}'`;
    return this.hv.xenstore.watchAsTool(path, "", deliver);
  }
}
