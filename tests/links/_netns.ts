/**
 * Real-kernel test helpers: network namespaces the test creates (names unique per run, with
 * the pid) and always removes, `ip` commands inside them, and `bondctl` processes run in a
 * namespace (`ip netns exec NS deno run ... cli/main.ts ...`) with stderr collected line by
 * line. Nothing here touches the host's own interfaces or routes.
 * @module
 */

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;
const PERMS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-run",
];

/**
 * Can this test create network namespaces? (root, and `ip netns` works.) The reason otherwise.
 * @example
 * ```ts
 * const ns = await netnsSupport();
 * if (!ns.ok) console.log(`skip: ${ns.why}`);
 * ```
 */
export async function netnsSupport(): Promise<{ ok: true } | { ok: false; why: string }> {
  if (Deno.uid?.() !== 0) return { ok: false, why: "network namespaces need root" };
  const probe = `bondctl-probe-${Deno.pid}`;
  try {
    const add = await new Deno.Command("ip", { args: ["netns", "add", probe], stderr: "piped" })
      .output();
    if (!add.success) {
      return {
        ok: false,
        why: `ip netns add failed: ${new TextDecoder().decode(add.stderr).trim()}`,
      };
    }
    await new Deno.Command("ip", { args: ["netns", "del", probe] }).output();
    return { ok: true };
  } catch (e) {
    return { ok: false, why: `ip is not available: ${(e as Error).message}` };
  }
}

/**
 * Runs `cmd args...`; throws with its stderr when it fails.
 * @example
 * ```ts
 * await sh("ip", "-n", ns, "link", "set", "lo", "up");
 * ```
 */
export async function sh(cmd: string, ...args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(r.stderr).trim()}`);
  }
  return dec.decode(r.stdout);
}

/**
 * A bondctl process in a namespace.
 * @example
 * ```ts
 * const p: NsProc = lab.spawn(ns, ["links", "scan"]);
 * await p.waitFor(/NAME/);
 * ```
 */
export interface NsProc {
  child: Deno.ChildProcess;
  lines: string[];
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  done: Promise<{ code: number; stderr: string }>;
  kill(sig?: Deno.Signal): void;
}

function spawnIn(
  ns: string,
  args: string[],
  stdin: "null" | "piped",
  stdout: "null" | "piped",
  env: Record<string, string>,
) {
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, Deno.execPath(), "run", "--quiet", ...PERMS, MAIN, ...args],
    stdin,
    stdout,
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  const pump = (async () => {
    let buf = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (Deno.env.get("BONDCTL_TEST_VERBOSE")) console.error(`    ${ns} | ${line}`);
        for (const w of [...waiters]) {
          const m = w.re.exec(line);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    }
    if (buf) lines.push(buf);
  })();
  const done = (async () => {
    const st = await child.status;
    await pump;
    return { code: st.code, stderr: lines.join("\n") };
  })();
  const proc: NsProc = {
    child,
    lines,
    done,
    waitFor(re, timeoutMs = 20_000) {
      const seen = lines.map((l) => re.exec(l)).find((m) => m);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`timed out waiting for ${re} in:\n${lines.join("\n")}`));
        }, timeoutMs);
        waiters.push({
          re,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        done.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before printing ${re}:\n${lines.join("\n")}`));
        });
      });
    },
    kill(sig: Deno.Signal = "SIGTERM") {
      try {
        child.kill(sig);
      } catch { /* gone */ }
    },
  };
  return proc;
}

/**
 * One test's namespaces, processes and temp dir; `close()` kills and awaits every process
 * (and any process still inside its namespaces), deletes every namespace (which deletes their veths) and the dir, whatever happened.
 * @example
 * ```ts
 * const lab = await NetnsLab.open("route");
 * try { const ns = await lab.namespace("c"); } finally { await lab.close(); }
 * ```
 */
export class NetnsLab {
  readonly dir: string;
  readonly tag: string;
  #namespaces: string[] = [];
  #procs: NsProc[] = [];

  private constructor(dir: string, tag: string) {
    this.dir = dir;
    this.tag = tag;
  }

  /** A temp dir; namespace names get `tag` and the pid. */
  static async open(tag: string): Promise<NetnsLab> {
    return new NetnsLab(await Deno.makeTempDir({ prefix: `bondctl-${tag}-` }), tag);
  }

  /** Creates namespace `bc-TAG-PID-SUFFIX` with lo up; returns its name. */
  async namespace(suffix: string): Promise<string> {
    const name = `bc-${this.tag}-${Deno.pid}-${suffix}`;
    await sh("ip", "netns", "add", name);
    this.#namespaces.push(name);
    await sh("ip", "-n", name, "link", "set", "lo", "up");
    return name;
  }

  /** Starts `bondctl ARGS...` inside `ns`. */
  spawn(
    ns: string,
    args: string[],
    opts: { stdin?: "null" | "piped"; stdout?: "null" | "piped"; env?: Record<string, string> } =
      {},
  ): NsProc {
    const p = spawnIn(ns, args, opts.stdin ?? "null", opts.stdout ?? "null", opts.env ?? {});
    this.#procs.push(p);
    return p;
  }

  /** Runs `bondctl ARGS...` inside `ns` to its end; returns exit code, stdout and stderr. */
  async run(
    ns: string,
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const p = this.spawn(ns, args, { stdout: "piped", env });
    const stdout = new Response(p.child.stdout).text();
    const { code, stderr } = await p.done;
    return { code, stdout: await stdout, stderr };
  }

  /** Kills every process, deletes every namespace and the temp dir. */
  async close(): Promise<void> {
    for (const p of this.#procs) p.kill("SIGKILL");
    await Promise.all(this.#procs.map((p) => p.done));
    for (const ns of this.#namespaces) {
      // Whatever a test left running inside its namespace (a stand-in pppd) ends with it.
      const pids = await new Deno.Command("ip", { args: ["netns", "pids", ns], stderr: "null" })
        .output();
      for (const pid of new TextDecoder().decode(pids.stdout).split(/\s+/).filter(Boolean)) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch { /* gone */ }
      }
      await new Deno.Command("ip", { args: ["netns", "del", ns], stderr: "null" }).output();
    }
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/**
 * Joins two namespaces with a veth pair and gives each end an address in 10.200.X.0/24
 * (client .2, server .1); the client gets a default route via the server end, metric 100+X.
 * @example
 * ```ts
 * await vethLink(client, server, "wan1", "srv1", 1);
 * ```
 */
export async function vethLink(
  client: string,
  server: string,
  clientIf: string,
  serverIf: string,
  x: number,
): Promise<void> {
  await sh(
    "ip",
    "-n",
    client,
    "link",
    "add",
    clientIf,
    "type",
    "veth",
    "peer",
    "name",
    serverIf,
    "netns",
    server,
  );
  await sh("ip", "-n", client, "addr", "add", `10.200.${x}.2/24`, "dev", clientIf);
  await sh("ip", "-n", server, "addr", "add", `10.200.${x}.1/24`, "dev", serverIf);
  await sh("ip", "-n", client, "link", "set", clientIf, "up");
  await sh("ip", "-n", server, "link", "set", serverIf, "up");
  await sh(
    "ip",
    "-n",
    client,
    "route",
    "add",
    "default",
    "via",
    `10.200.${x}.1`,
    "dev",
    clientIf,
    "metric",
    String(100 + x),
  );
}
