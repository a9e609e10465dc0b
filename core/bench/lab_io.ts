/**
 * The two labs a bench runs in, behind one interface (`BenchLab`): where servers listen,
 * which local address each link has, how a program is started on either side, what each link
 * dials, and how faults are carried out.
 *
 * - `loopback`: no root. Links are 127.0.0.2, .3 ...; per contender a fresh emulator
 *   (`core/emulator/relay_io.ts`) puts one relay per link between the sender and the server
 *   and applies rate, delay, jitter, loss, traces and faults.
 * - `netns`: root. Two namespaces and a shaped veth pair per link (`netns_io.ts`). A DELAY or
 *   jitter in a spec is added by emulator relays started inside the relay namespace (this
 *   kernel has no netem); a trace's rate is followed by changing tbf's rate every second.
 * Per contender, in order: `attach(port)` once its server listens, `fault()` as the schedule
 * says, `endFaults()` when its window closes, `detach()` when its stream has ended.
 * @module
 */
import type { ParsedSimLink } from "../sim/link_spec.ts";
import type { Trace } from "../sim/traces.ts";
import { type Emulator, startEmulator } from "../emulator/relay_io.ts";
import type { Fault } from "./faults.ts";
import { BenchError } from "./errors.ts";
import { NetnsLab } from "./netns_io.ts";
import { planNetnsLab } from "./netns_plan.ts";

/**
 * Where a link's connections go.
 * @example
 * ```ts
 * const d: Dest = { host: "127.0.0.1", port: 40001 };
 * ```
 */
export interface Dest {
  host: string;
  port: number;
}

/**
 * A lab, as the contender runner sees it. Links are numbered from 1.
 * @example
 * ```ts
 * const dests = await lab.attach(port); await lab.fault(parseCut("1@5s")); await lab.detach();
 * ```
 */
export interface BenchLab {
  readonly kind: "netns" | "loopback";
  /** The address servers listen on. */
  readonly serverHost: string;
  /** Link `i`'s local address (a sender binds to it). */
  linkAddress(i: number): string;
  /** `argv` as started on the server's side. */
  serverArgv(argv: string[]): string[];
  /** `argv` as started on the sender's side. */
  clientArgv(argv: string[]): string[];
  /** The server listens on `port`: returns what each link dials (a relay, or the server). */
  attach(port: number): Promise<Dest[]>;
  /** Carries out one fault now. */
  fault(f: Fault): Promise<void>;
  /** The window is over: faults undone, rates reset (relays stay while the stream drains). */
  endFaults(): Promise<void>;
  /** The contender is over: faults undone, relays closed. */
  detach(): Promise<void>;
  /** Why kernel MPTCP cannot race here, or null. */
  readonly mptcpProblem: string | null;
  /** Removes everything the lab created. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A link as the labs need it: the parsed spec, its trace if any, its (mean) rate.
 * @example
 * ```ts
 * const l: LabLinkInput = { parsed: parseSimLink("20mbit", 1), bps: 20e6, delayGiven: false };
 * ```
 */
export interface LabLinkInput {
  parsed: ParsedSimLink;
  trace?: Trace;
  /** Configured rate, or a trace's mean (bit/s). */
  bps: number;
  /** Was a DELAY typed (the netns lab adds none otherwise)? */
  delayGiven: boolean;
}

/**
 * The loopback lab.
 * @example
 * ```ts
 * const lab = loopbackLab(links, 1);
 * const dests = await lab.attach(serverPort); // one relay per link
 * ```
 */
export function loopbackLab(links: readonly LabLinkInput[], seed: number): BenchLab {
  let emu: Emulator | null = null;
  return {
    kind: "loopback",
    serverHost: "127.0.0.1",
    linkAddress: (i) => `127.0.0.${i + 1}`,
    serverArgv: (argv) => argv,
    clientArgv: (argv) => argv,
    mptcpProblem: "kernel MPTCP races in --lab netns only: loopback cannot shape its subflows",
    async attach(port) {
      emu = await startEmulator({
        links: links.map((l) => l.parsed.raw),
        target: { host: "127.0.0.1", port },
        seed,
      });
      return emu.ports.map((p) => ({ host: "127.0.0.1", port: p }));
    },
    fault(f) {
      if (!emu) return Promise.resolve();
      if (f.kind === "cut") emu.cut(f.link, f.how === "down" ? "closed" : "silent");
      else if (f.kind === "restore") emu.restore(f.link);
      else emu.setRate(f.link, f.bps);
      return Promise.resolve();
    },
    endFaults() {
      if (!emu) return Promise.resolve();
      links.forEach((l, i) => {
        emu!.restore(i + 1);
        if (l.parsed.source.kind === "rate") emu!.setRate(i + 1, l.parsed.source.bps);
      });
      return Promise.resolve();
    },
    async detach() {
      await emu?.close();
      emu = null;
    },
    close() {
      return this.detach();
    },
  };
}

/**
 * Options of {@link netnsLab}.
 * @example
 * ```ts
 * const o: NetnsLabOptions = { links, tag: "1234", relayArgv: (j) => ["bondctl", "bench", "--relay-for", j], seed: 1, log: console.error };
 * ```
 */
export interface NetnsLabOptions {
  links: readonly LabLinkInput[];
  /** Namespace name tag (unique per run, e.g. the pid). */
  tag: string;
  /** Starts the delay relays in the relay namespace: `bondctl bench --relay-for JSON`. */
  relayArgv: (json: string) => string[];
  seed: number;
  log: (line: string) => void;
}

/**
 * Builds the netns lab (root needed).
 * @example
 * ```ts
 * const lab = await netnsLab({ links, tag: String(Deno.pid), relayArgv, seed: 1, log });
 * try { ... } finally { await lab.close(); }
 * ```
 */
export async function netnsLab(o: NetnsLabOptions): Promise<BenchLab> {
  const ns = await NetnsLab.create(planNetnsLab(o.tag, o.links.map((l) => l.bps)));
  const cut = new Map<number, "down" | "blackhole">();
  const rateChanged = new Set<number>();
  const delays = o.links.some((l) => l.delayGiven || l.parsed.jitterMs > 0);
  const traced = o.links.filter((l) => l.trace);
  let relay: Deno.ChildProcess | null = null;
  let follower: ReturnType<typeof setInterval> | undefined;
  const endFaults = async () => {
    for (const [link, how] of cut) await ns.restore(link, how);
    cut.clear();
    for (const link of rateChanged) await ns.setRate(link, o.links[link - 1].bps);
    rateChanged.clear();
  };
  const mptcpProblem = ns.mptcpProblem ??
    (delays
      ? "kernel MPTCP cannot get a DELAY here: this kernel has no netem, and a user-space " +
        "relay would split its subflows (run without /DELAY to race it)"
      : null);
  return {
    kind: "netns",
    serverHost: ns.plan.serviceAddr,
    linkAddress: (i) => ns.plan.links[i - 1].clientAddr,
    serverArgv: (argv) => ns.inNamespace("server", argv),
    clientArgv: (argv) => ns.inNamespace("client", argv),
    mptcpProblem,
    async attach(port) {
      // A trace's rate: tbf follows its mean over each second.
      if (traced.length) {
        const t0 = performance.now();
        const step = async () => {
          const t = performance.now() - t0;
          for (const l of traced) {
            if (rateChanged.has(l.parsed.index) || cut.has(l.parsed.index)) continue;
            const bps = (l.trace!.capacity.bytesBetween(t, t + 1000) * 8000) / 1000;
            await ns.setRate(l.parsed.index, Math.max(8000, bps)).catch((e) => o.log(e.message));
          }
        };
        await step();
        follower = setInterval(step, 1000);
      }
      const direct = o.links.map(() => ({ host: ns.plan.serviceAddr, port }));
      if (!delays) return direct;
      // DELAY and jitter: emulator relays (no rate: tbf shapes) in the relay namespace.
      const json = JSON.stringify({
        links: o.links.map((l) => l.parsed.raw),
        target: `${ns.plan.serviceAddr}:${port}`,
        host: ns.plan.serviceAddr,
        seed: o.seed,
      });
      const argv = ns.inNamespace("server", o.relayArgv(json));
      relay = new Deno.Command(argv[0], {
        args: argv.slice(1),
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const ports = await readRelayPorts(relay);
      return ports.map((p) => ({ host: ns.plan.serviceAddr, port: p }));
    },
    async fault(f) {
      if (f.kind === "cut") {
        await ns.cut(f.link, f.how);
        cut.set(f.link, f.how);
      } else if (f.kind === "restore") {
        const how = cut.get(f.link);
        if (how) await ns.restore(f.link, how);
        cut.delete(f.link);
      } else {
        rateChanged.add(f.link);
        await ns.setRate(f.link, f.bps);
      }
    },
    endFaults,
    async detach() {
      clearInterval(follower);
      await endFaults();
      if (relay) {
        try {
          relay.kill("SIGTERM");
        } catch { /* gone */ }
        await relay.status;
        relay = null;
      }
    },
    async close() {
      clearInterval(follower);
      try {
        relay?.kill("SIGKILL");
      } catch { /* gone */ }
      await ns.close();
    },
  };
}

/** Waits for the relay process's `relay ports P1,P2,...` line. */
async function readRelayPorts(p: Deno.ChildProcess): Promise<number[]> {
  let text = "";
  const reader = p.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new BenchError(`the delay relays did not start: ${text.trim()}`);
      text += value;
      const m = /relay ports ([\d,]+)/.exec(text);
      if (m) {
        (async () => {
          while (!(await reader.read()).done) { /* drain */ }
        })();
        return m[1].split(",").map(Number);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
