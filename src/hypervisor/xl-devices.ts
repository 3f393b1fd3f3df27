/**
 * xl.cfg's `vif` and `disk` lists (docs/man/xl-network-configuration.5, xl-disk-configuration.5)
 * as the PV devices of a domain xl creates: each vifspec (`mac=`, `bridge=`; the bridge is one
 * of the hypervisor's virtual switches) is a `xen,vif`, each diskspec (`target=`, `vdev=`,
 * `access=`, `format=raw`, or the legacy positional `[PREFIX:]TARGET,VDEV,ACCESS`) a
 * `xen,vbd`. Keys xl knows that have no meaning here are refused with a line saying so.
 */
import type { NicConfig, VbdConfig } from "./config.js";

const macText = (m: Uint8Array) => [...m].map((b) => b.toString(16).padStart(2, "0")).join(":");

/** The vifs of domain `domid`, or the line xl create fails with. */
export function xlVifs(specs: readonly string[], domid: number, switches: readonly string[], where: string): NicConfig[] | string {
  const out: NicConfig[] = [];
  for (const [devid, spec] of specs.entries()) {
    let mac = Uint8Array.of(0x00, 0x16, 0x3e, 0x00, domid & 0xff, devid);
    let bridge: string | undefined;
    for (const item of spec.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
      const [k, v = ""] = item.split(/=(.*)/s, 2);
      if (k === "mac") {
        const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(v);
        if (!m) return `vif '${spec}': mac=${v} is not a MAC address (xx:xx:xx:xx:xx:xx)`;
        mac = Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
        if (mac[0] & 1) return `vif '${spec}': mac=${v} is a multicast address`;
      } else if (k === "bridge") bridge = v;
      else if (k === "type" && v === "vif") continue;
      else return `vif '${spec}': ${k} is not supported by tessera's toolstack (mac= and bridge= are)`;
    }
    if (bridge === undefined) {
      if (switches.length !== 1) return `vif '${spec}': bridge= must name one of the hypervisor's virtual switches (${switches.join(", ") || "it has none"})`;
      bridge = switches[0];
    }
    if (!switches.includes(bridge)) return `vif '${spec}': bridge ${bridge} is not a virtual switch of the hypervisor (${switches.join(", ") || "it has none"})`;
    out.push({ name: `vif${devid}`, vswitch: bridge, mac, where: `${where}: vif ${macText(mac)}` });
  }
  return out;
}

/** The vbds (size still 0: the hypervisor opens the images), or the line xl create fails with. */
export function xlDisks(specs: readonly string[], where: string): VbdConfig[] | string {
  const out: VbdConfig[] = [];
  for (const spec of specs) {
    const items = spec.split(",").map((s) => s.trim()).filter((s) => s !== "");
    let target: string | undefined, vdev: string | undefined, access = "rw";
    const positional: string[] = [];
    for (const item of items) {
      const eq = item.indexOf("=");
      if (eq < 0) { positional.push(item); continue; }
      const k = item.slice(0, eq), v = item.slice(eq + 1);
      if (k === "target") target = v;
      else if (k === "vdev") vdev = v;
      else if (k === "access") access = v;
      else if (k === "format" && v === "raw") continue;
      else if (k === "devtype" && v === "disk") continue;
      else return `disk '${spec}': ${k}=${v} is not supported by tessera's toolstack (target=, vdev=, access=, format=raw)`;
    }
    // The legacy form: [PREFIX:]TARGET, VDEV, ACCESS.
    if (positional.length) {
      if (positional.length > 3 || target !== undefined) return `disk '${spec}': [PREFIX:]TARGET,VDEV,ACCESS or target=,vdev=,access=`;
      const [t, d, a] = positional;
      target = t.replace(/^(phy|file|raw|aio):/, "");
      vdev = d ?? vdev;
      if (a !== undefined) access = a;
    }
    if (target === undefined) return `disk '${spec}': no target`;
    if (!target.startsWith("/")) return `disk '${spec}': target ${target} must be an absolute path (the hypervisor opens it)`;
    const v = vdev ?? `xvd${String.fromCharCode(0x61 + out.length)}`;
    const m = /^xvd([a-p])$/.exec(v);
    if (!m) return `disk '${spec}': vdev ${v}: xvda to xvdp`;
    const a = access === "w" ? "rw" : access === "r" ? "ro" : access;
    if (a !== "rw" && a !== "ro") return `disk '${spec}': access=${access}: rw or ro`;
    const devid = (202 << 8) | ((m[1].charCodeAt(0) - 0x61) << 4);
    if (out.some((d) => d.devid === devid)) return `disk '${spec}': vdev ${v} is used twice`;
    out.push({ vdev: v, devid, target, size: 0, readOnly: a === "ro", where: `${where}: disk ${v}` });
  }
  return out;
}
