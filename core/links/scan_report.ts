/**
 * How `links scan` shows an inventory: an aligned table for people, JSON for scripts. Pure.
 * @module
 */
import type { DiscoveredLink, Inventory } from "./inventory.ts";
import { probeCell, type ProbeResult } from "./probe.ts";

const HEADERS = [
  "NAME",
  "KIND",
  "STATE",
  "ADDRESSES",
  "GATEWAY",
  "MTU",
  "PROVIDER",
  "TECH",
  "SIGNAL",
] as const;

function gatewayCell(l: DiscoveredLink): string {
  const gws = [l.gateway4, l.gateway6].filter((g): g is string => g !== undefined);
  if (gws.length) return gws.join(", ");
  return l.pointToPoint ? "(point-to-point)" : "-";
}

function addressCell(l: DiscoveredLink): string {
  return l.addresses.map((a) =>
    a.peer ? `${a.address} peer ${a.peer}` : `${a.address}/${a.prefixlen}`
  )
    .join(", ");
}

/**
 * The table, the interfaces left out, and the tools' notes, as lines.
 * @example
 * ```ts
 * for (const line of scanTable(inventory)) console.log(line);
 * ```
 */
export function scanTable(inv: Inventory, probes?: readonly ProbeResult[]): string[] {
  const headers: string[] = [...HEADERS];
  if (probes) headers.push("TLS HANDSHAKE");
  const rows = inv.links.map((l) => {
    const row = [
      l.name,
      l.kind,
      l.state,
      addressCell(l),
      gatewayCell(l),
      l.mtu === undefined ? "-" : String(l.mtu),
      l.modem?.provider ?? "-",
      l.modem?.technology ?? "-",
      l.modem?.signal === undefined ? "-" : `${l.modem.signal}%`,
    ];
    if (probes) row.push(probeCell(probes.find((p) => p.name === l.name)));
    return row;
  });
  const out: string[] = [];
  if (rows.length === 0) {
    out.push("no usable link: every interface is down, has no address or no route out");
  } else {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    out.push(fmt(headers), ...rows.map(fmt));
  }
  if (inv.excluded.length) {
    out.push("");
    out.push("left out: " + inv.excluded.map((x) => `${x.name} (${x.detail})`).join(", "));
  }
  for (const p of probes ?? []) {
    if (p.outcome !== "ok" && p.detail) out.push(`probe ${p.name}: ${p.detail}`);
  }
  for (const t of inv.tools) {
    if (t.status !== "ok") {
      out.push(`${t.tool}: ${t.status.replace("-", " ")}${t.detail ? ` (${t.detail})` : ""}`);
    }
  }
  return out;
}

/**
 * The inventory as a JSON-ready object; each link carries its probe when there is one.
 * @example
 * ```ts
 * console.log(JSON.stringify(scanJson(inventory), null, 2));
 * ```
 */
export function scanJson(inv: Inventory, probes?: readonly ProbeResult[]): Record<string, unknown> {
  return {
    links: inv.links.map((l) => {
      const p = probes?.find((x) => x.name === l.name);
      return p ? { ...l, probe: p } : l;
    }),
    excluded: inv.excluded,
    tools: inv.tools,
  };
}
