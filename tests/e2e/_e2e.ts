/**
 * What the end-to-end tests share on top of `tests/_helpers/bondctl.ts`: a lab that owns every
 * process and the temp dir of one test (so that `close()` kills and awaits all of them, and
 * Deno's sanitizers stay quiet), bounded waits, one-shot CLI runs with stdout, the checks for
 * "one clear line" errors, a free port, a seeded generator for garbage, and whether ::1 works.
 * @module
 */
import assert from "node:assert/strict";
import { type Proc, spawnBondctl, type SpawnOptions, tempWorkspace } from "../_helpers/bondctl.ts";

/** Every wait in these tests: generous, so a slow machine does not make them flaky. */
export const WAIT_MS = 30_000;

/** How a process ended. */
export interface Exit {
  code: number;
  signal: Deno.Signal | null;
  stderr: string;
}

/**
 * Resolves with `p`, or rejects after `ms` with `what` in the message.
 * @example
 * ```ts
 * const frame = await within(link.next(5000), 10_000, "a CLOSE frame");
 * ```
 */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits for a process to exit on its own; kills it after `ms` and fails with its stderr.
 * @example
 * ```ts
 * const { code, stderr } = await exited(sender);
 * ```
 */
export async function exited(p: Proc, ms = WAIT_MS): Promise<Exit> {
  try {
    return await within(p.done, ms, "the process to exit");
  } catch (e) {
    p.kill("SIGKILL");
    const { stderr } = await p.done;
    throw new Error(`${(e as Error).message}; its stderr:\n${stderr}`);
  }
}

/** A receiver started by {@link Lab.receiver}. */
export interface Receiver {
  proc: Proc;
  port: number;
  pin: string;
  /** `--server` for a sender. */
  server: string;
}

/** Output of a one-shot run. */
export interface Run extends Exit {
  stdout: string;
}

/**
 * One test's processes and files. Every process started through the lab is killed and
 * awaited by `close()`, which also removes the temp dir, whatever the test did.
 * @example
 * ```ts
 * const lab = await Lab.open();
 * try {
 *   const r = await lab.receiver(["--once", "--output", lab.path("out")]);
 * } finally {
 *   await lab.close();
 * }
 * ```
 */
export class Lab {
  readonly dir: string;
  readonly tokenFile: string;
  #cleanup: () => Promise<void>;
  #procs: Proc[] = [];

  private constructor(ws: { dir: string; tokenFile: string; cleanup(): Promise<void> }) {
    this.dir = ws.dir;
    this.tokenFile = ws.tokenFile;
    this.#cleanup = ws.cleanup;
  }

  /** Makes a temp dir with a token file. */
  static async open(): Promise<Lab> {
    return new Lab(await tempWorkspace());
  }

  /** A path inside the temp dir. */
  path(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** Starts `bondctl ARGS...`, owned by the lab. */
  spawn(args: string[], opts: SpawnOptions = {}): Proc {
    const p = spawnBondctl(args, opts);
    this.#procs.push(p);
    return p;
  }

  /**
   * Starts `bondctl receive` on `host` (127.0.0.1 unless given) and a free port with the lab's
   * token, `--self-signed` unless `cert` names PEM files, and waits until it listens.
   * (Registered before the wait, so a receiver that never comes up is still killed by
   * `close()`.)
   */
  async receiver(
    args: string[],
    opts: { host?: string; cert?: { certFile: string; keyFile: string; pin: string } } = {},
  ): Promise<Receiver> {
    const host = opts.host ?? "127.0.0.1";
    const listen = host.includes(":") ? `[${host}]:0` : `${host}:0`;
    const tls = opts.cert
      ? ["--cert", opts.cert.certFile, "--key", opts.cert.keyFile]
      : ["--self-signed"];
    const proc = this.spawn([
      "receive",
      "--listen",
      listen,
      ...tls,
      "--token-file",
      this.tokenFile,
      ...args,
    ]);
    const pin = opts.cert?.pin ?? (await proc.waitFor(/--pin (sha256:[0-9a-f]{64})/, WAIT_MS))[1];
    const port = Number((await proc.waitFor(/listening on .*:(\d+)$/, WAIT_MS))[1]);
    const server = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    return { proc, port, pin, server };
  }

  /** Starts `bondctl send` to `r` with its pin and the lab's token; `args` add to that. */
  sender(r: Receiver, args: string[]): Proc {
    return this.spawn([
      "send",
      "--server",
      r.server,
      "--pin",
      r.pin,
      "--token-file",
      this.tokenFile,
      ...args,
    ]);
  }

  /** Runs `bondctl ARGS...` to its end, with stdout collected. */
  async run(args: string[], opts: SpawnOptions = {}): Promise<Run> {
    const p = this.spawn(args, { ...opts, stdout: "piped" });
    const stdout = new Response(p.child.stdout).text();
    const exit = await exited(p);
    return { ...exit, stdout: await stdout };
  }

  /** Kills every process still running, awaits them all, removes the temp dir. */
  async close(): Promise<void> {
    for (const p of this.#procs) p.kill("SIGKILL");
    await Promise.all(this.#procs.map((p) => p.done));
    await this.#cleanup();
  }
}

/** Lines of `text` that are not empty. */
export function linesOf(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

/**
 * Asserts that stderr holds no stack trace (Deno's `    at ...` frames or a backtrace).
 * @example
 * ```ts
 * assertNoStack(exit.stderr);
 * ```
 */
export function assertNoStack(stderr: string): void {
  assert.doesNotMatch(
    stderr,
    /^\s+at\s|Stack backtrace|Uncaught|^\w*Error: /m,
    `a stack trace:\n${stderr}`,
  );
}

/**
 * Asserts the CLI's contract for an error: exit 1, no stack, exactly one `bondctl: error:` line,
 * the cause (`cause`) named in it and in no other line, so that the user reads it once.
 * @example
 * ```ts
 * assertOneErrorLine(exit, /connection refused/);
 * ```
 */
export function assertOneErrorLine(exit: Exit, cause: RegExp): string {
  const all = linesOf(exit.stderr);
  const show = `stderr:\n${exit.stderr}`;
  assert.equal(exit.code, 1, `exit code 1 expected; ${show}`);
  assertNoStack(exit.stderr);
  const errors = all.filter((l) => l.startsWith("bondctl: error: "));
  assert.equal(errors.length, 1, `exactly one "bondctl: error:" line expected; ${show}`);
  assert.match(errors[0], cause, `the error line should name the cause ${cause}; ${show}`);
  const naming = all.filter((l) => cause.test(l));
  assert.equal(naming.length, 1, `the cause ${cause} should be said once, not repeated; ${show}`);
  return errors[0];
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on (bound, then closed at once).
 * @example
 * ```ts
 * const port = closedPort();
 * ```
 */
export function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * `n` pseudo-random octets from `seed` (mulberry32), so that a failure can be replayed.
 * @example
 * ```ts
 * const garbage = seededBytes(42, 4096);
 * ```
 */
export function seededBytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

/**
 * Can this machine listen on and dial ::1? The IPv6 tests skip with a reason otherwise.
 * @example
 * ```ts
 * const v6 = await ipv6Loopback();
 * ```
 */
export async function ipv6Loopback(): Promise<{ ok: true } | { ok: false; why: string }> {
  let listener: Deno.Listener | undefined;
  try {
    listener = Deno.listen({ hostname: "::1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const [conn, accepted] = await Promise.all([
      Deno.connect({ hostname: "::1", port }),
      listener.accept(),
    ]);
    conn.close();
    accepted.close();
    return { ok: true };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  } finally {
    listener?.close();
  }
}

/**
 * Polls `check` every 50 ms until it is true; fails after `ms` with `what`.
 * (For states that print nothing, such as a file's contents.)
 * @example
 * ```ts
 * await until(async () => (await Deno.stat(out)).size === 5, "the output to hold 5 bytes");
 * ```
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = WAIT_MS,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
