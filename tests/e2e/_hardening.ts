/**
 * What the hardening tests share: senders fed from the test through stdin (so a session can be
 * held open, cut off, or finished on cue), a clients file, SIGHUP, and a check that no secret
 * reached any log.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Proc } from "../_helpers/bondctl.ts";
import { type Lab, type Receiver, seededBytes } from "./_e2e.ts";

/**
 * A sender whose input the test writes, keeping every byte written for the comparison.
 * @example
 * ```ts
 * const s = FedSender.start(lab, r, lab.tokenFile, ["127.0.0.2"], 1);
 * await s.feed(1 << 20);
 * await s.end();
 * ```
 */
export class FedSender {
  readonly proc: Proc;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #written: Uint8Array[] = [];
  #seed: number;
  written = 0;

  constructor(proc: Proc, seed: number) {
    this.proc = proc;
    this.#writer = proc.child.stdin.getWriter();
    this.#seed = seed;
  }

  /** Starts `send` on `r` from stdin with `token` (a file) over loopback `links`. */
  static start(
    lab: Lab,
    r: Receiver,
    tokenFile: string,
    links: string[],
    seed: number,
    extra: string[] = [],
  ) {
    const proc = lab.spawn([
      "send",
      "--server",
      r.server,
      "--pin",
      r.pin,
      "--token-file",
      tokenFile,
      "--debug",
      ...links.flatMap((l) => ["--link", l]),
      ...extra,
    ], { stdin: "piped" });
    return new FedSender(proc, seed);
  }

  /** Writes `n` more seeded bytes (false if the sender stopped reading). */
  async feed(n: number): Promise<boolean> {
    const piece = seededBytes(this.#seed + this.#written.length, n);
    try {
      await this.#writer.write(piece);
    } catch {
      return false;
    }
    this.#written.push(piece);
    this.written += n;
    return true;
  }

  /** Ends the input: the sender delivers what it read and exits. */
  async end(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** Lets go of stdin without closing it (the process is killed by the lab). */
  release(): void {
    try {
      this.#writer.releaseLock();
    } catch { /* already released */ }
  }

  /** Everything written so far, in one buffer. */
  input(): Uint8Array {
    const out = new Uint8Array(this.written);
    let at = 0;
    for (const p of this.#written) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * SHA-256 hex of some bytes.
 * @example
 * ```ts
 * assert.equal(sha(await Deno.readFile(out)), sha(s.input()));
 * ```
 */
export function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Asserts `output` is a prefix of `input` (a correct prefix: every byte in place).
 * @example
 * ```ts
 * assertPrefix(await Deno.readFile(out), fed.input(), "alpha's output");
 * ```
 */
export function assertPrefix(output: Uint8Array, input: Uint8Array, what: string): void {
  assert.ok(output.length <= input.length, `${what}: ${output.length} bytes, more than the input`);
  assert.equal(sha(output), sha(input.subarray(0, output.length)), `${what} is not a prefix`);
}

/**
 * A clients file from name -> token.
 * @example
 * ```ts
 * await writeClients(lab.path("clients.json"), { alpha: "alpha-token-0123456789" });
 * ```
 */
export async function writeClients(path: string, clients: Record<string, string>) {
  await Deno.writeTextFile(
    path,
    JSON.stringify({ clients: Object.entries(clients).map(([name, token]) => ({ name, token })) }),
  );
}

/**
 * Sends SIGHUP and waits for the receiver to say what it reloaded (or that it failed).
 * @example
 * ```ts
 * assert.match(await hangup(r), /reloaded on SIGHUP/);
 * ```
 */
export async function hangup(r: Receiver, ms = 20_000): Promise<string> {
  const before = r.proc.lines.length;
  r.proc.kill("SIGHUP");
  const deadline = performance.now() + ms;
  for (;;) {
    const line = r.proc.lines.slice(before).find((l) => /reload(ed)? on SIGHUP/.test(l));
    if (line) return line;
    if (performance.now() > deadline) assert.fail("no reload line after SIGHUP");
    await new Promise((res) => setTimeout(res, 25));
  }
}

/**
 * Asserts that no secret appears in any of the logs.
 * @example
 * ```ts
 * assertNoSecrets([r.proc.lines.join("\n")], [token]);
 * ```
 */
export function assertNoSecrets(logs: string[], secrets: string[]): void {
  for (const s of secrets) {
    for (const log of logs) {
      assert.ok(!log.includes(s), `a secret (${s.slice(0, 4)}...) appears in a log:\n${log}`);
    }
  }
}

/**
 * The output files in `dir` whose names match `re`.
 * @example
 * ```ts
 * const [file] = await filesIn(dir, /^alpha-/);
 * ```
 */
export async function filesIn(dir: string, re: RegExp): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && re.test(e.name)) out.push(e.name);
  return out.sort();
}
