/**
 * `send --link auto`, the pure part: which discovered links to bond, and what changed since
 * the last scan. Each interface name keeps one link index for the whole session, so a modem
 * that drops and comes back rejoins as the same link.
 *
 * Per scan, in order:
 * 1. candidates: usable links with an address of the server's family, minus `--exclude`;
 * 2. a known link that is no longer a candidate leaves (with the reason discovery gave);
 * 3. a known link whose address changed rejoins (leave, then join from the new address);
 * 4. a new candidate joins with the next free index, and its per-name options if any.
 * @module
 */
import type { LinkCaps, LinkKind, LinkPriority } from "../frame/types.ts";
import type { Family } from "./ip_json.ts";
import { addressOf, type DiscoveredLink, type Inventory } from "./inventory.ts";

/**
 * The kinds `--exclude` accepts besides interface names.
 * @example
 * ```ts
 * WAN_KINDS.includes("wifi"); // true: --exclude wifi is a kind
 * ```
 */
export const WAN_KINDS = ["ppp", "wwan", "usb-ethernet", "ethernet", "wifi"] as const;

/**
 * Per-link options from `--link NAME,cost=...` (or `--link auto,...` for every link).
 * @example
 * ```ts
 * const o: LinkOptions = { cost: 2, priority: "primary", capBytes: 2e9 };
 * ```
 */
export interface LinkOptions {
  cost: number;
  priority: LinkPriority;
  capBytes?: number;
  rateBps?: number;
}

/**
 * What the session must do after a scan.
 * @example
 * ```ts
 * for (const c of set.update(inventory)) if (c.type === "leave") session.removeLink(c.index);
 * ```
 */
export type AutoChange =
  | { type: "join"; index: number; name: string; caps: LinkCaps; link: DiscoveredLink }
  | { type: "leave"; index: number; name: string; why: string }
  | {
    type: "rejoin";
    index: number;
    name: string;
    caps: LinkCaps;
    link: DiscoveredLink;
    from: string;
  };

/**
 * Options of {@link AutoLinkSet}.
 * @example
 * ```ts
 * const o: AutoLinkOptions = { family: 4, defaults: { cost: 1, priority: "primary" },
 *   overrides: new Map([["ppp1", { cost: 2, priority: "primary" }]]), exclude: ["wifi"],
 *   firstIndex: 1 };
 * ```
 */
export interface AutoLinkOptions {
  /** The server's address family: links bind an address of it. */
  family: Family;
  /** Options of `--link auto,...`, for every discovered link. */
  defaults: LinkOptions;
  /** Options by interface name (`--link ppp1,cost=2`), applied when that link is discovered. */
  overrides: ReadonlyMap<string, LinkOptions>;
  /** `--exclude`: interface names and kinds. */
  exclude: readonly string[];
  /** The first index to give (after the links named by address). */
  firstIndex: number;
}

/**
 * Is `name` left out by `--exclude` (by its name or its kind)?
 * @example
 * ```ts
 * isExcluded("wlan0", "wifi", ["wifi"]); // true
 * ```
 */
export function isExcluded(name: string, kind: LinkKind, exclude: readonly string[]): boolean {
  return exclude.includes(name) || exclude.includes(kind);
}

/**
 * The set of auto links of one session, updated from each scan.
 * @example
 * ```ts
 * const set = new AutoLinkSet(opts);
 * const first = set.update(await scanLinks()); // joins for every usable link
 * ```
 */
export class AutoLinkSet {
  #o: AutoLinkOptions;
  #indices = new Map<string, number>();
  #next: number;
  /** Links in the session now: name -> index and bound address. */
  #current = new Map<string, { index: number; address: string }>();

  constructor(o: AutoLinkOptions) {
    this.#o = o;
    this.#next = o.firstIndex;
  }

  /** The index `name` has or will get; stable for the whole session. */
  indexOf(name: string): number {
    let i = this.#indices.get(name);
    if (i === undefined) {
      i = this.#next++;
      this.#indices.set(name, i);
    }
    return i;
  }

  /** Names of the links in the session now. */
  get names(): string[] {
    return [...this.#current.keys()];
  }

  /** Compares a scan with the links in the session; returns what to do (stages 1-4). */
  update(inv: Inventory): AutoChange[] {
    const fam = this.#o.family;
    // 1.
    const candidates = new Map<string, DiscoveredLink>();
    for (const l of inv.links) {
      if (isExcluded(l.name, l.kind, this.#o.exclude)) continue;
      if (addressOf(l, fam) === undefined) continue;
      candidates.set(l.name, l);
    }
    const changes: AutoChange[] = [];
    // 2. and 3.
    for (const [name, cur] of [...this.#current]) {
      const l = candidates.get(name);
      if (!l) {
        this.#current.delete(name);
        changes.push({ type: "leave", index: cur.index, name, why: this.#whyGone(name, inv) });
        continue;
      }
      const address = addressOf(l, fam)!;
      if (address !== cur.address) {
        this.#current.set(name, { index: cur.index, address });
        changes.push({
          type: "rejoin",
          index: cur.index,
          name,
          caps: this.#caps(l, address),
          link: l,
          from: cur.address,
        });
      }
    }
    // 4.
    for (const [name, l] of candidates) {
      if (this.#current.has(name)) continue;
      const index = this.indexOf(name);
      const address = addressOf(l, fam)!;
      this.#current.set(name, { index, address });
      changes.push({ type: "join", index, name, caps: this.#caps(l, address), link: l });
    }
    return changes;
  }

  #whyGone(name: string, inv: Inventory): string {
    const x = inv.excluded.find((e) => e.name === name);
    if (x) return x.detail;
    if (inv.links.some((l) => l.name === name)) {
      return `it has no IPv${this.#o.family} address any more`;
    }
    return "the interface is gone";
  }

  #caps(l: DiscoveredLink, address: string): LinkCaps {
    const opt = this.#o.overrides.get(l.name) ?? this.#o.defaults;
    const caps: LinkCaps = {
      kind: l.kind,
      name: l.name,
      localAddress: address,
      cost: opt.cost,
      priority: opt.priority,
    };
    if (opt.capBytes !== undefined) caps.capBytes = opt.capBytes;
    if (opt.rateBps !== undefined) caps.rateBps = opt.rateBps;
    if (l.modem?.provider) caps.provider = l.modem.provider.slice(0, 256);
    if (l.modem?.signal !== undefined) caps.signal = l.modem.signal;
    if (l.modem?.technology) caps.technology = l.modem.technology.slice(0, 256);
    return caps;
  }
}
