/**
 * The netns lab as commands, pure: two namespaces (the box and the relay) joined by one veth
 * pair per link, `tbf` on both ends (the box's egress is the uplink, the relay's the
 * downlink), a queue of about 100 ms of the rate, the box's policy routing per source address
 * (planned by core/links, as `links route --apply` plans it for a real box), kernel MPTCP
 * limits and endpoints, and the commands for each fault. `netns_io.ts` runs them.
 *
 * Layout: link i is `wan<i>` 10.77.<i>.2/24 in the box and `srv<i>` 10.77.<i>.1/24 in the relay;
 * the relay's service address is 10.77.0.1 on its loopback, reached by any link; the box's
 * table 100+i holds `default via 10.77.<i>.1` and `unreachable default metric 4000`, and
 * `ip rule from 10.77.<i>.2 lookup 100+i` sends what is bound to a link's address out of it.
 * Nothing here names an interface, route or rule outside the two namespaces.
 *
 * Setup, in order: namespaces and loopbacks; the service address; per link the veth pair,
 * addresses, up, tbf both ends; the routing; the MPTCP limits and endpoints. Teardown deletes
 * both namespaces, which removes everything inside them.
 * @module
 */
import { addCommand, desiredItems } from "../links/route_plan.ts";
import type { DiscoveredLink } from "../links/inventory.ts";

/**
 * One link of the lab.
 * @example
 * ```ts
 * planNetnsLab("1", [20e6]).links[0].clientIf; // "wan1"
 * ```
 */
export interface LabLink {
  /** From 1. */
  index: number;
  clientIf: string;
  serverIf: string;
  clientAddr: string;
  serverAddr: string;
  table: number;
  /** Configured rate (bit/s). */
  bps: number;
}

/**
 * The lab's names and addresses.
 * @example
 * ```ts
 * const plan: NetnsPlan = planNetnsLab(String(Deno.pid), [20e6, 10e6]);
 * ```
 */
export interface NetnsPlan {
  /** The box's namespace. */
  client: string;
  /** The relay's namespace. */
  server: string;
  /** Where servers listen in the relay namespace. */
  serviceAddr: string;
  links: LabLink[];
}

/**
 * The namespaces' default congestion control, which bondctl's links use (see setupCommands).
 * @example
 * ```ts
 * LAB_DEFAULT_CC; // "reno"
 * ```
 */
export const LAB_DEFAULT_CC = "reno";

/**
 * Routing tables are 100 + link (DESIGN.md).
 * @example
 * ```ts
 * planNetnsLab("1", [20e6]).links[0].table === LAB_TABLE_BASE + 1; // true
 * ```
 */
export const LAB_TABLE_BASE = 100;
/**
 * Priority of the lab's `ip rule`s.
 * @example
 * ```ts
 * // ip rule add from 10.77.1.2 lookup 101 priority ${LAB_RULE_PRIORITY}
 * ```
 */
export const LAB_RULE_PRIORITY = 5000;
/**
 * Queue of each tbf, in time at the rate (ms).
 * @example
 * ```ts
 * tbfParams(20e6).limit === (20e6 / 8000) * LAB_QUEUE_MS; // true
 * ```
 */
export const LAB_QUEUE_MS = 100;

/**
 * Names and addresses for `rates.length` links; namespaces are `bondctl-bench-TAG-c|s`.
 * @example
 * ```ts
 * const plan = planNetnsLab(`${Deno.pid}`, [20e6, 10e6]);
 * plan.links[1].clientAddr; // "10.77.2.2"
 * ```
 */
export function planNetnsLab(tag: string, rates: readonly number[]): NetnsPlan {
  if (rates.length < 1 || rates.length > 200) {
    throw new RangeError(`the netns lab takes 1 to 200 links, not ${rates.length}`);
  }
  return {
    client: `bondctl-bench-${tag}-c`,
    server: `bondctl-bench-${tag}-s`,
    serviceAddr: "10.77.0.1",
    links: rates.map((bps, i) => ({
      index: i + 1,
      clientIf: `wan${i + 1}`,
      serverIf: `srv${i + 1}`,
      clientAddr: `10.77.${i + 1}.2`,
      serverAddr: `10.77.${i + 1}.1`,
      table: LAB_TABLE_BASE + i + 1,
      bps,
    })),
  };
}

/**
 * tbf parameters for `bps`: a bucket of about 4 ms of the rate (at least two frames) and a
 * queue of {@link LAB_QUEUE_MS} of it (at least two frames).
 * @example
 * ```ts
 * tbfParams(20e6); // { rate: "20000000bit", burst: 10000, limit: 250000 }
 * ```
 */
export function tbfParams(bps: number): { rate: string; burst: number; limit: number } {
  const bytesPerMs = bps / 8000;
  return {
    rate: `${Math.round(bps)}bit`,
    burst: Math.max(3028, Math.ceil(bytesPerMs * 4)),
    limit: Math.max(3028, Math.ceil(bytesPerMs * LAB_QUEUE_MS)),
  };
}

function tbf(ns: string, dev: string, bps: number, verb: "add" | "change"): string[] {
  const p = tbfParams(bps);
  return [
    "tc",
    "-n",
    ns,
    "qdisc",
    verb,
    "dev",
    dev,
    "root",
    "tbf",
    "rate",
    p.rate,
    "burst",
    String(p.burst),
    "limit",
    String(p.limit),
  ];
}

/** The box's links as core/links sees a discovered link, for its route planner. */
function asDiscovered(l: LabLink): DiscoveredLink {
  return {
    name: l.clientIf,
    ifindex: 0,
    kind: "ethernet",
    evidence: "bench lab",
    state: "up",
    addresses: [{ family: 4, address: l.clientAddr, prefixlen: 24 }],
    gateway4: l.serverAddr,
    pointToPoint: false,
  };
}

/** `ip ...` from the route planner, run inside `ns`. */
function inNs(ns: string, argv: string[]): string[] {
  return [argv[0], "-n", ns, ...argv.slice(1)];
}

/**
 * The box's routing for `links` (all by default): per link its table's default route and
 * unreachable fallback, and its rule; planned by core/links.
 * @example
 * ```ts
 * routeCommands(plan); // [["ip", "-n", "bondctl-bench-1-c", "-4", "route", "replace", ...], ...]
 * ```
 */
export function routeCommands(
  plan: NetnsPlan,
  links: readonly LabLink[] = plan.links,
  only?: "default",
): string[][] {
  const tables = Object.fromEntries(links.map((l) => [l.clientIf, l.table]));
  const { items } = desiredItems(links.map(asDiscovered), tables, {
    tableBase: LAB_TABLE_BASE,
    priority: LAB_RULE_PRIORITY,
  });
  return items.filter((i) => !only || i.what === only)
    .sort((a, b) => (a.what === "rule" ? 1 : 0) - (b.what === "rule" ? 1 : 0))
    .map((i) => inNs(plan.client, addCommand(i)));
}

/**
 * Every command that builds the lab, in order.
 * @example
 * ```ts
 * for (const argv of setupCommands(plan)) await run(argv);
 * ```
 */
export function setupCommands(plan: NetnsPlan): string[][] {
  const { client: c, server: s } = plan;
  const cmds: string[][] = [
    ["ip", "netns", "add", c],
    ["ip", "netns", "add", s],
    ["ip", "-n", c, "link", "set", "lo", "up"],
    ["ip", "-n", s, "link", "set", "lo", "up"],
    ["ip", "-n", s, "addr", "add", `${plan.serviceAddr}/32`, "dev", "lo"],
  ];
  for (const l of plan.links) {
    cmds.push(
      [
        "ip",
        "-n",
        c,
        "link",
        "add",
        l.clientIf,
        "type",
        "veth",
        "peer",
        "name",
        l.serverIf,
        "netns",
        s,
      ],
      ["ip", "-n", c, "addr", "add", `${l.clientAddr}/24`, "dev", l.clientIf],
      ["ip", "-n", s, "addr", "add", `${l.serverAddr}/24`, "dev", l.serverIf],
      ["ip", "-n", c, "link", "set", l.clientIf, "up"],
      ["ip", "-n", s, "link", "set", l.serverIf, "up"],
      tbf(c, l.clientIf, l.bps, "add"),
      tbf(s, l.serverIf, l.bps, "add"),
    );
  }
  cmds.push(...routeCommands(plan));
  // bondctl's TLS links (node:tls) cannot choose a congestion control per socket, as the
  // kernel contenders do (cubic); a namespace may default only to reno or bbr, and with bbr
  // the bond's TCP re-sent 20-35 % of its bytes on the patent's links (`ss -ti`; docs/BENCH.md).
  for (const ns of [c, s]) {
    cmds.push([
      "ip",
      "netns",
      "exec",
      ns,
      "sysctl",
      "-qw",
      `net.ipv4.tcp_congestion_control=${LAB_DEFAULT_CC}`,
    ]);
  }
  return cmds;
}

/**
 * Kernel MPTCP: limits on both sides and one `subflow` endpoint per box link (id = link).
 * @example
 * ```ts
 * mptcpCommands(plan)[0]; // ["ip", "-n", "...-c", "mptcp", "limits", "set", "subflow", "8", ...]
 * ```
 */
export function mptcpCommands(plan: NetnsPlan): string[][] {
  const limits = ["mptcp", "limits", "set", "subflow", "8", "add_addr_accepted", "8"];
  return [
    ["ip", "-n", plan.client, ...limits],
    ["ip", "-n", plan.server, ...limits],
    ...plan.links.map((l) => endpointAdd(plan, l)),
  ];
}

function endpointAdd(plan: NetnsPlan, l: LabLink): string[] {
  return [
    "ip",
    "-n",
    plan.client,
    "mptcp",
    "endpoint",
    "add",
    l.clientAddr,
    "dev",
    l.clientIf,
    "id",
    String(l.index),
    "subflow",
  ];
}

/** nftables table that blackholes link `l` in the box. */
function blackholeTable(l: LabLink): string {
  return `bondctl_bench_cut${l.index}`;
}

/**
 * Cuts link `l`: both veth ends down (carrier loss), or every packet silently dropped on the
 * box's side with nftables (the link looks up; nothing gets through).
 * @example
 * ```ts
 * cutCommands(plan, plan.links[0], "down"); // ip -n ...-c link set wan1 down; ...-s srv1 down
 * ```
 */
export function cutCommands(plan: NetnsPlan, l: LabLink, how: "down" | "blackhole"): string[][] {
  if (how === "down") {
    return [
      ["ip", "-n", plan.client, "link", "set", l.clientIf, "down"],
      ["ip", "-n", plan.server, "link", "set", l.serverIf, "down"],
    ];
  }
  const t = blackholeTable(l);
  return [[
    "ip",
    "netns",
    "exec",
    plan.client,
    "nft",
    `add table inet ${t} { ` +
    `chain out { type filter hook output priority 0; policy accept; oifname "${l.clientIf}" drop; }; ` +
    `chain in { type filter hook input priority 0; policy accept; iifname "${l.clientIf}" drop; }; }`,
  ]];
}

/**
 * Ends a cut of link `l`: the ends up again with the link's default route (which went with the
 * carrier) and its MPTCP endpoint added anew, as a connection manager would; or the nftables
 * table removed.
 * @example
 * ```ts
 * restoreCommands(plan, plan.links[0], "down");
 * ```
 */
export function restoreCommands(
  plan: NetnsPlan,
  l: LabLink,
  how: "down" | "blackhole",
): string[][] {
  if (how === "blackhole") {
    return [["ip", "netns", "exec", plan.client, "nft", `delete table inet ${blackholeTable(l)}`]];
  }
  return [
    ["ip", "-n", plan.client, "link", "set", l.clientIf, "up"],
    ["ip", "-n", plan.server, "link", "set", l.serverIf, "up"],
    ...routeCommands(plan, [l], "default"),
  ];
}

/**
 * Removes and adds again link `l`'s MPTCP endpoint (after a restore, so that the kernel opens
 * a subflow on it again). Failures are harmless.
 * @example
 * ```ts
 * endpointRenewCommands(plan, plan.links[0]);
 * ```
 */
export function endpointRenewCommands(plan: NetnsPlan, l: LabLink): string[][] {
  return [
    ["ip", "-n", plan.client, "mptcp", "endpoint", "delete", "id", String(l.index)],
    endpointAdd(plan, l),
  ];
}

/**
 * Link `l` at `bps` from now on, both ends.
 * @example
 * ```ts
 * setRateCommands(plan, plan.links[1], 1e6);
 * ```
 */
export function setRateCommands(plan: NetnsPlan, l: LabLink, bps: number): string[][] {
  return [tbf(plan.client, l.clientIf, bps, "change"), tbf(plan.server, l.serverIf, bps, "change")];
}

/**
 * Removes the lab: deleting a namespace deletes its veths, routes, rules, nftables tables and
 * MPTCP endpoints.
 * @example
 * ```ts
 * for (const argv of teardownCommands(plan)) await runQuietly(argv);
 * ```
 */
export function teardownCommands(plan: NetnsPlan): string[][] {
  return [["ip", "netns", "del", plan.client], ["ip", "netns", "del", plan.server]];
}
