/**
 * `links route`, the pure part: per link a routing table with its default route and an
 * unreachable fallback, and an `ip rule from ADDR lookup TABLE`, for IPv4 and IPv6; what of
 * that is already in place; and the `ip` commands that install the rest or remove exactly
 * what was installed (recorded in a state file).
 *
 * Apply, in order:
 * 1. tables: a link keeps the table it had in the state file; a new link gets the lowest free
 *    number above the base (101, 102 ... for base 100);
 * 2. desired items per link and family: `default via GW dev IF` (or `default dev IF` for a
 *    point-to-point link), `unreachable default metric 4000`, `rule from ADDR priority P`;
 * 3. each item already present is left alone; each missing one gets a command (routes before
 *    rules, so a rule never points at an empty table);
 * 4. items recorded earlier for a link that is still here but no longer wants them (its
 *    address or gateway changed) are deleted; those of links that are gone are kept;
 * 5. the new state: what bondctl installed, and still wants, and what it now adds.
 * @module
 */
import { z } from "zod";
import { RouteStateError } from "./errors.ts";
import type { Family, IpRoute, IpRule } from "./ip_json.ts";
import { addressOf, type DiscoveredLink } from "./inventory.ts";

/**
 * Tables are numbered base + 1, base + 2 ... (DESIGN.md: `lookup 100+i`).
 * @example
 * ```ts
 * assignTables(["ppp0"], {}, DEFAULT_TABLE_BASE); // { ppp0: 101 }
 * ```
 */
export const DEFAULT_TABLE_BASE = 100;
/**
 * Every rule bondctl adds has this priority: before `main` (32766), after `local` (0).
 * @example
 * ```ts
 * planApply(links, now, null, { tableBase: 100, priority: DEFAULT_RULE_PRIORITY });
 * ```
 */
export const DEFAULT_RULE_PRIORITY = 5000;
/**
 * The fallback in each table: a cut link's traffic fails instead of leaking elsewhere.
 * @example
 * ```ts
 * // ip route add unreachable default metric ${UNREACHABLE_METRIC} table 101
 * ```
 */
export const UNREACHABLE_METRIC = 4000;
/**
 * Where `--apply` records what it installed.
 * @example
 * ```ts
 * const path = `${DEFAULT_STATE_DIR}/${STATE_FILE}`; // /run/bondctl/routes.json
 * ```
 */
export const DEFAULT_STATE_DIR = "/run/bondctl";
/**
 * The state file's name inside the state dir.
 * @example
 * ```ts
 * const path = `${DEFAULT_STATE_DIR}/${STATE_FILE}`;
 * ```
 */
export const STATE_FILE = "routes.json";

/**
 * One thing `links route` installs.
 * @example
 * ```ts
 * const rule: RouteItem = { what: "rule", link: "ppp0", family: 4, table: 101,
 *   src: "10.112.34.56", priority: 5000 };
 * ```
 */
export type RouteItem =
  | { what: "rule"; link: string; family: Family; table: number; src: string; priority: number }
  | { what: "default"; link: string; family: Family; table: number; dev: string; gateway?: string }
  | { what: "unreachable"; link: string; family: Family; table: number; metric: number };

/**
 * What `--apply` installed, kept in the state file for `--remove`.
 * @example
 * ```ts
 * const s: RouteState = { version: 1, tables: { ppp0: 101 }, items: [] };
 * ```
 */
export interface RouteState {
  version: 1;
  /** Interface name -> its table, kept so that a link that comes back gets the same one. */
  tables: Record<string, number>;
  items: RouteItem[];
}

/**
 * The kernel's routing state that matters here.
 * @example
 * ```ts
 * const now: CurrentRouting = { routes: [...routes4, ...routes6], rules: [...rules4, ...rules6] };
 * ```
 */
export interface CurrentRouting {
  routes: IpRoute[];
  rules: IpRule[];
}

/**
 * One command of a plan, with the item it installs or removes.
 * @example
 * ```ts
 * const c: PlannedCommand = { argv: ["ip", "-4", "rule", "add", "from", "10.0.0.2", "lookup",
 *   "101", "priority", "5000"], item, action: "add" };
 * ```
 */
export interface PlannedCommand {
  argv: string[];
  item: RouteItem;
  action: "add" | "del";
}

/**
 * A plan: commands to run, items already in place, the state to record afterwards.
 * @example
 * ```ts
 * const plan = planApply(links, current, previous, { tableBase: 100, priority: 5000 });
 * if (plan.commands.length === 0) console.log("nothing to change");
 * ```
 */
export interface RoutePlan {
  commands: PlannedCommand[];
  inPlace: RouteItem[];
  state: RouteState;
  /** Families left out and why ("wlan0: no IPv6 default route"). */
  notes: string[];
}

/**
 * Options of {@link planApply}.
 * @example
 * ```ts
 * const o: RouteOptions = { tableBase: 100, priority: 5000 };
 * ```
 */
export interface RouteOptions {
  tableBase: number;
  priority: number;
}

/**
 * Stage 1: a table per link name; earlier assignments are kept.
 * @example
 * ```ts
 * assignTables(["ppp0", "wwan0"], { wwan0: 101 }, 100); // { wwan0: 101, ppp0: 102 }
 * ```
 */
export function assignTables(
  names: readonly string[],
  previous: Readonly<Record<string, number>>,
  base: number,
): Record<string, number> {
  const tables: Record<string, number> = { ...previous };
  const used = new Set(Object.values(tables));
  let next = base + 1;
  for (const n of names) {
    if (tables[n] !== undefined) continue;
    while (used.has(next)) next++;
    tables[n] = next;
    used.add(next);
  }
  return tables;
}

/**
 * Stage 2: what each link wants, in table order.
 * @example
 * ```ts
 * desiredItems(links, { eth0: 101 }, { tableBase: 100, priority: 5000 }).items.length; // 3 per family
 * ```
 */
export function desiredItems(
  links: readonly DiscoveredLink[],
  tables: Readonly<Record<string, number>>,
  o: RouteOptions,
): { items: RouteItem[]; notes: string[] } {
  const items: RouteItem[] = [];
  const notes: string[] = [];
  for (const l of links) {
    const table = tables[l.name];
    for (const family of [4, 6] as const) {
      const src = addressOf(l, family);
      if (!src) continue;
      const gateway = family === 4 ? l.gateway4 : l.gateway6;
      if (!gateway && !l.pointToPoint) {
        notes.push(
          `${l.name}: IPv${family} address ${src} but no IPv${family} default route: left out`,
        );
        continue;
      }
      const route: RouteItem = { what: "default", link: l.name, family, table, dev: l.name };
      if (gateway && !l.pointToPoint) route.gateway = gateway;
      items.push(
        route,
        { what: "unreachable", link: l.name, family, table, metric: UNREACHABLE_METRIC },
        { what: "rule", link: l.name, family, table, src, priority: o.priority },
      );
    }
  }
  return { items, notes };
}

/**
 * A key that is equal for the same item (whatever link name recorded it).
 * @example
 * ```ts
 * itemKey({ what: "unreachable", link: "ppp0", family: 4, table: 101, metric: 4000 });
 * // "unreachable|4|101|4000"
 * ```
 */
export function itemKey(i: RouteItem): string {
  switch (i.what) {
    case "rule":
      return `rule|${i.family}|${i.table}|${i.src}|${i.priority}`;
    case "default":
      return `default|${i.family}|${i.table}|${i.dev}|${i.gateway ?? ""}`;
    case "unreachable":
      return `unreachable|${i.family}|${i.table}|${i.metric}`;
  }
}

/**
 * Is `item` in the kernel now?
 * @example
 * ```ts
 * isPresent(item, { routes, rules });
 * ```
 */
export function isPresent(item: RouteItem, now: CurrentRouting): boolean {
  const table = String(item.table);
  switch (item.what) {
    case "rule":
      return now.rules.some((r) =>
        r.family === item.family && r.priority === item.priority && r.src === item.src &&
        r.table === table
      );
    case "default":
      return now.routes.some((r) =>
        r.family === item.family && r.table === table && r.dst === "default" &&
        r.type === "unicast" && r.dev === item.dev && r.gateway === item.gateway
      );
    case "unreachable":
      return now.routes.some((r) =>
        r.family === item.family && r.table === table && r.dst === "default" &&
        r.type === "unreachable" && r.metric === item.metric
      );
  }
}

/**
 * The `ip` command that installs `item`. The default route uses `replace`, so a route left
 * with an old gateway is corrected in place.
 * @example
 * ```ts
 * addCommand({ what: "default", link: "eth0", family: 4, table: 101, dev: "eth0",
 *   gateway: "192.168.1.1" });
 * // ["ip", "-4", "route", "replace", "default", "via", "192.168.1.1", "dev", "eth0", "table", "101"]
 * ```
 */
export function addCommand(item: RouteItem): string[] {
  return command(item, "add");
}

/**
 * The `ip` command that removes `item`.
 * @example
 * ```ts
 * delCommand({ what: "unreachable", link: "eth0", family: 4, table: 101, metric: 4000 });
 * // ["ip", "-4", "route", "del", "unreachable", "default", "metric", "4000", "table", "101"]
 * ```
 */
export function delCommand(item: RouteItem): string[] {
  return command(item, "del");
}

function command(item: RouteItem, action: "add" | "del"): string[] {
  const fam = `-${item.family}`;
  const table = String(item.table);
  switch (item.what) {
    case "rule":
      return [
        "ip",
        fam,
        "rule",
        action,
        "from",
        item.src,
        "lookup",
        table,
        "priority",
        String(item.priority),
      ];
    case "default": {
      const via = item.gateway ? ["via", item.gateway] : [];
      const verb = action === "add" ? "replace" : "del";
      return ["ip", fam, "route", verb, "default", ...via, "dev", item.dev, "table", table];
    }
    case "unreachable":
      return [
        "ip",
        fam,
        "route",
        action,
        "unreachable",
        "default",
        "metric",
        String(item.metric),
        "table",
        table,
      ];
  }
}

/**
 * Stages 1-5: the plan for `--apply` (and for the plain `links route`, which only shows it).
 * @example
 * ```ts
 * const plan = planApply(inventory.links, { routes, rules }, null, { tableBase: 100, priority: 5000 });
 * ```
 */
export function planApply(
  links: readonly DiscoveredLink[],
  now: CurrentRouting,
  previous: RouteState | null,
  o: RouteOptions,
): RoutePlan {
  const tables = assignTables(links.map((l) => l.name), previous?.tables ?? {}, o.tableBase);
  const { items, notes } = desiredItems(links, tables, o);
  const wanted = new Set(items.map(itemKey));
  const recorded = new Map((previous?.items ?? []).map((i) => [itemKey(i), i]));
  const here = new Set(links.map((l) => l.name));
  const adds: PlannedCommand[] = [];
  const dels: PlannedCommand[] = [];
  const inPlace: RouteItem[] = [];
  const keep: RouteItem[] = [];
  // 3.
  for (const item of items) {
    if (isPresent(item, now)) {
      inPlace.push(item);
      if (recorded.has(itemKey(item))) keep.push(item);
    } else {
      adds.push({ argv: addCommand(item), item, action: "add" });
      keep.push(item);
    }
  }
  // 4.
  for (const [key, item] of recorded) {
    if (wanted.has(key)) continue;
    if (!here.has(item.link)) {
      keep.push(item);
      continue;
    }
    // A default route with the old gateway is overwritten by `replace`, not deleted.
    const replaced = item.what === "default" &&
      items.some((i) => i.what === "default" && i.family === item.family && i.table === item.table);
    if (!replaced && isPresent(item, now)) {
      dels.push({ argv: delCommand(item), item, action: "del" });
    }
  }
  const order = (c: PlannedCommand) => (c.item.what === "rule" ? 1 : 0);
  return {
    commands: [
      ...dels.sort((a, b) => order(b) - order(a)),
      ...adds.sort((a, b) => order(a) - order(b)),
    ],
    inPlace,
    // 5.
    state: { version: 1, tables, items: keep },
    notes,
  };
}

/**
 * The plan for `--remove`: delete each recorded item that is still there (rules first);
 * those already gone (the interface vanished with its routes) are listed, not an error.
 * @example
 * ```ts
 * const { commands, gone } = planRemove(state, { routes, rules });
 * ```
 */
export function planRemove(
  state: RouteState,
  now: CurrentRouting,
): { commands: PlannedCommand[]; gone: RouteItem[] } {
  const commands: PlannedCommand[] = [];
  const gone: RouteItem[] = [];
  const items = [...state.items].sort((a, b) =>
    (a.what === "rule" ? 0 : 1) - (b.what === "rule" ? 0 : 1)
  );
  for (const item of items) {
    if (isPresent(item, now)) commands.push({ argv: delCommand(item), item, action: "del" });
    else gone.push(item);
  }
  return { commands, gone };
}

/**
 * The state after some commands ran (one failed midway, or `--remove` finished): what was
 * recorded before, plus what the commands that succeeded added, minus what they removed.
 * @example
 * ```ts
 * const partial = stateAfter(previous, plan.state.tables, ranOk);
 * ```
 */
export function stateAfter(
  previous: RouteState | null,
  tables: Readonly<Record<string, number>>,
  ran: readonly PlannedCommand[],
): RouteState {
  const items = new Map((previous?.items ?? []).map((i) => [itemKey(i), i]));
  for (const c of ran) {
    if (c.action === "add") items.set(itemKey(c.item), c.item);
    else items.delete(itemKey(c.item));
  }
  return { version: 1, tables: { ...tables }, items: [...items.values()] };
}

const family = z.union([z.literal(4), z.literal(6)]);
const table = z.int().min(1).max(0xfffffffe);
const itemSchema = z.discriminatedUnion("what", [
  z.object({
    what: z.literal("rule"),
    link: z.string(),
    family,
    table,
    src: z.string().min(1),
    priority: z.int().nonnegative(),
  }),
  z.object({
    what: z.literal("default"),
    link: z.string(),
    family,
    table,
    dev: z.string().min(1),
    gateway: z.string().optional(),
  }),
  z.object({
    what: z.literal("unreachable"),
    link: z.string(),
    family,
    table,
    metric: z.int().nonnegative(),
  }),
]);
const stateSchema = z.object({
  version: z.literal(1),
  tables: z.record(z.string(), table),
  items: z.array(itemSchema),
});

/**
 * Reads a state file written by `--apply`.
 * @example
 * ```ts
 * const state = parseRouteState(await Deno.readTextFile(path), path);
 * ```
 */
export function parseRouteState(text: string, path: string): RouteState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RouteStateError(`${path} is not JSON: remove it if bondctl did not write it`);
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new RouteStateError(
      `${path} is not a bondctl routing state file (${
        issue.path.join(".") || "top"
      }: ${issue.message})`,
    );
  }
  return r.data as RouteState;
}
