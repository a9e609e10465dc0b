/**
 * Builds, drives and removes the netns lab planned by `netns_plan.ts`: runs its `ip`, `tc` and
 * `nft` commands, starts programs inside a namespace (`ip netns exec`), carries out faults,
 * and on `close()` kills whatever still runs in its namespaces and deletes them, whatever
 * happened before. The caller wires `close()` to SIGINT/SIGTERM.
 * @module
 */
import { BenchError } from "./errors.ts";
import {
  cutCommands,
  endpointRenewCommands,
  mptcpCommands,
  type NetnsPlan,
  restoreCommands,
  setRateCommands,
  setupCommands,
  teardownCommands,
} from "./netns_plan.ts";

/**
 * Runs one command; throws a BenchError with its stderr when it fails.
 * @example
 * ```ts
 * await run(["ip", "netns", "add", "x"]);
 * ```
 */
export async function run(argv: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" })
      .output();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new BenchError(`${argv[0]} is not installed (Debian: apt-get install ${pkg(argv[0])})`);
    }
    throw e;
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n")[0];
    throw new BenchError(`${argv.join(" ")}: ${err || `exit ${out.code}`}`);
  }
  return new TextDecoder().decode(out.stdout);
}

function pkg(tool: string): string {
  return tool === "nft" ? "nftables" : tool === "tc" || tool === "ip" ? "iproute2" : tool;
}

/**
 * Refuses the netns lab without root, with what to do instead.
 * @example
 * ```ts
 * requireRoot(); // throws BenchError when not root
 * ```
 */
export function requireRoot(): void {
  if (Deno.uid() !== 0) {
    throw new BenchError(
      "--lab netns needs root (it creates network namespaces): run it with sudo, " +
        "or use --lab loopback, which needs none",
    );
  }
}

/**
 * The lab while it exists.
 * @example
 * ```ts
 * const lab = await NetnsLab.create(planNetnsLab(String(Deno.pid), [20e6, 10e6]));
 * try { ... } finally { await lab.close(); }
 * ```
 */
export class NetnsLab {
  readonly plan: NetnsPlan;
  /** Why kernel MPTCP cannot run here, or null when it can. */
  mptcpProblem: string | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;

  private constructor(plan: NetnsPlan) {
    this.plan = plan;
  }

  /** Builds the lab (root needed); removes what it built if a step fails. */
  static async create(plan: NetnsPlan): Promise<NetnsLab> {
    requireRoot();
    const lab = new NetnsLab(plan);
    try {
      for (const argv of setupCommands(plan)) await run(argv);
    } catch (e) {
      await lab.close();
      throw e;
    }
    try {
      const enabled =
        (await run(["ip", "netns", "exec", plan.client, "sysctl", "-n", "net.mptcp.enabled"]))
          .trim();
      if (enabled !== "1") lab.mptcpProblem = "net.mptcp.enabled is not 1 in the namespace";
      else for (const argv of mptcpCommands(plan)) await run(argv);
    } catch (e) {
      lab.mptcpProblem = `this kernel or iproute2 has no MPTCP: ${(e as Error).message}`;
    }
    return lab;
  }

  /** `argv` as run inside namespace `ns`. */
  inNamespace(ns: "client" | "server", argv: string[]): string[] {
    return ["ip", "netns", "exec", ns === "client" ? this.plan.client : this.plan.server, ...argv];
  }

  /** Cuts link `index` (from 1). */
  async cut(index: number, how: "down" | "blackhole"): Promise<void> {
    for (const argv of cutCommands(this.plan, this.#link(index), how)) await run(argv);
  }

  /** Ends a cut of link `index`; renews its MPTCP endpoint when MPTCP is in use. */
  async restore(index: number, how: "down" | "blackhole"): Promise<void> {
    const l = this.#link(index);
    for (const argv of restoreCommands(this.plan, l, how)) await run(argv);
    if (how === "down" && this.mptcpProblem === null) {
      for (const argv of endpointRenewCommands(this.plan, l)) await run(argv).catch(() => {});
    }
  }

  /** Link `index` at `bps`, both ends. */
  async setRate(index: number, bps: number): Promise<void> {
    for (const argv of setRateCommands(this.plan, this.#link(index), bps)) await run(argv);
  }

  /** Kills every process left in the namespaces and deletes them; safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#closed) return;
      this.#closed = true;
      for (const ns of [this.plan.client, this.plan.server]) {
        const pids = await new Deno.Command("ip", {
          args: ["netns", "pids", ns],
          stdout: "piped",
          stderr: "null",
        }).output().catch(() => null);
        const text = pids ? new TextDecoder().decode(pids.stdout) : "";
        for (const pid of text.split(/\s+/).filter(Boolean)) {
          try {
            Deno.kill(Number(pid), "SIGKILL");
          } catch { /* gone */ }
        }
      }
      for (const argv of teardownCommands(this.plan)) await run(argv).catch(() => {});
    })();
    return this.#closing;
  }

  #link(index: number) {
    const l = this.plan.links[index - 1];
    if (!l) throw new BenchError(`there is no link ${index} in the lab`);
    return l;
  }
}
