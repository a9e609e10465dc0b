/**
 * Test helpers that run the real `bondctl` as child processes, the way a user does:
 * a receiver on a free loopback port with a self-signed certificate, senders that dial it
 * over loopback addresses (127.0.0.2 onwards) as links.
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
 * What each command is started with: `receive` with only what docs/SECURITY.md says it needs
 * (so every end-to-end test proves that set is enough), the others with everything.
 * @example
 * ```ts
 * permissionsFor(["receive", "--once"]); // ["--allow-net", "--allow-read", "--allow-write", "--allow-env"]
 * ```
 */
export function permissionsFor(args: string[]): string[] {
  if (args[0] === "receive") return ["--allow-net", "--allow-read", "--allow-write", "--allow-env"];
  return PERMS;
}

/** A running bondctl process with its stderr collected line by line. */
export interface Proc {
  child: Deno.ChildProcess;
  /** Every stderr line so far. */
  lines: string[];
  /** Resolves with the first stderr line matching `re` (rejects if the process exits first). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with exit code and all of stderr once the process has exited. */
  done: Promise<{ code: number; signal: Deno.Signal | null; stderr: string }>;
  kill(sig?: Deno.Signal): void;
}

/** Options for {@link spawnBondctl}. */
export interface SpawnOptions {
  stdin?: "null" | "piped";
  stdout?: "null" | "piped";
  env?: Record<string, string>;
}

/**
 * Starts `bondctl ARGS...` (from source, under the current deno).
 * @example
 * ```ts
 * const p = spawnBondctl(["--help"]);
 * const { code } = await p.done;
 * ```
 */
export function spawnBondctl(args: string[], opts: SpawnOptions = {}): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissionsFor(args), MAIN, ...args],
    stdin: opts.stdin ?? "null",
    stdout: opts.stdout ?? "null",
    stderr: "piped",
    env: { NO_COLOR: "1", ...(opts.env ?? {}) },
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
        if (Deno.env.get("BONDCTL_TEST_VERBOSE")) console.error(`    | ${line}`);
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
    return { code: st.code, signal: st.signal, stderr: lines.join("\n") };
  })();
  return {
    child,
    lines,
    waitFor(re, timeoutMs = 20_000) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re} in:\n${lines.join("\n")}`)),
          timeoutMs,
        );
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
    done,
    kill(sig: Deno.Signal = "SIGTERM") {
      try {
        child.kill(sig);
      } catch { /* already exited */ }
    },
  };
}

/** A receiver started by {@link startReceiver}. */
export interface Receiver extends Proc {
  port: number;
  pin: string;
}

/**
 * Starts `bondctl receive --self-signed` on 127.0.0.1 (or `host`) and a free port, and waits
 * until it listens.
 * @example
 * ```ts
 * const r = await startReceiver(["--token-file", tok, "--output", out, "--once"]);
 * ```
 */
export async function startReceiver(args: string[], host = "127.0.0.1"): Promise<Receiver> {
  const listen = host.includes(":") ? `[${host}]:0` : `${host}:0`;
  const p = spawnBondctl(["receive", "--listen", listen, "--self-signed", ...args]);
  const pinLine = await p.waitFor(/--pin (sha256:[0-9a-f]{64})/);
  const portLine = await p.waitFor(/listening on .*:(\d+)$/);
  return { ...p, port: Number(portLine[1]), pin: pinLine[1] };
}

/**
 * Writes `size` random bytes to a new file in `dir`; returns its path.
 * @example
 * ```ts
 * const input = await randomFile(dir, 16 << 20);
 * ```
 */
export async function randomFile(dir: string, size: number, name = "input.bin"): Promise<string> {
  const path = `${dir}/${name}`;
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  const piece = new Uint8Array(1 << 20);
  for (let left = size; left > 0; left -= piece.length) {
    for (let o = 0; o < piece.length; o += 65536) {
      crypto.getRandomValues(piece.subarray(o, o + 65536));
    }
    await f.write(piece.subarray(0, Math.min(left, piece.length)));
  }
  f.close();
  return path;
}

/**
 * SHA-256 of a file, hex.
 * @example
 * ```ts
 * assertEquals(await sha256File(out), await sha256File(input));
 * ```
 */
export async function sha256File(path: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A temp dir with a token file; removes itself with `cleanup()`.
 * @example
 * ```ts
 * const t = await tempWorkspace();
 * try { ... } finally { await t.cleanup(); }
 * ```
 */
export async function tempWorkspace(): Promise<
  { dir: string; tokenFile: string; cleanup(): Promise<void> }
> {
  const dir = await Deno.makeTempDir({ prefix: "bondctl-test-" });
  const tokenFile = `${dir}/token`;
  await Deno.writeTextFile(tokenFile, "test-token-" + crypto.randomUUID() + "\n");
  return {
    dir,
    tokenFile,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}

/**
 * `--link` flags for `n` loopback links: 127.0.0.2, 127.0.0.3, ...
 * @example
 * ```ts
 * spawnBondctl(["send", ...loopbackLinks(4)]);
 * ```
 */
export function loopbackLinks(n: number): string[] {
  return Array.from({ length: n }, (_, i) => ["--link", `127.0.0.${i + 2}`]).flat();
}

/**
 * Does `cmd` exist on this machine? Tests that need it skip with a printed reason otherwise.
 * @example
 * ```ts
 * const hasSs = await haveTool("ss");
 * ```
 */
export async function haveTool(cmd: string): Promise<boolean> {
  try {
    const r = await new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .output();
    return r.success;
  } catch {
    return false;
  }
}
