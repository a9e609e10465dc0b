/**
 * What the fault matrix and the soak share: a bond whose every link runs through the user-space
 * link emulator (`core/emulator/relay_io.ts`), so that a test can cut, silence, slow or restore
 * any link at a moment of its choosing, without root.
 *
 * A rig, in the order it comes up:
 * 1. `bondctl receive --once --output -` on 127.0.0.1 (its stdout is the bond's output);
 * 2. the emulator, one relay per link, each forwarding to the receiver;
 * 3. `bondctl send` with `--link 127.0.0.N,via=127.0.0.1:RELAY_PORT` per link, its input fed by
 *    the test ({@link PacedFeed}: seeded bytes at a steady rate, hashed as they go);
 * 4. the receiver's output read by an {@link OutputWatch}: hashed as it comes, each read
 *    time-stamped (the longest pause around a fault is the failover stall), optionally read
 *    slowly (a slow output).
 * Memory is read from /proc/PID/status with `cat` (Deno lets only --allow-all read /proc).
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { type Emulator, startEmulator } from "../../core/emulator/relay_io.ts";
import { type Proc, spawnBondctl, tempWorkspace } from "./bondctl.ts";

const MiB = 1024 * 1024;

/**
 * Fills buffers with a seeded xorshift128 stream: fast enough for 50 Mbit/s and more, and
 * never repeating a block, so that a block delivered twice or out of place changes the hash.
 * @example
 * ```ts
 * const g = new ByteStream(7); const a = g.next(65536);
 * ```
 */
export class ByteStream {
  #s = new Uint32Array(4);

  constructor(seed: number) {
    this.#s.set([seed >>> 0 || 1, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
    for (let i = 0; i < 16; i++) this.#word();
  }

  #word(): number {
    const s = this.#s;
    let t = s[3];
    t ^= t << 11;
    t ^= t >>> 8;
    s[3] = s[2];
    s[2] = s[1];
    s[1] = s[0];
    t ^= s[0] ^ (s[0] >>> 19);
    s[0] = t;
    return t;
  }

  /** The next `n` bytes. */
  next(n: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.#word();
    return new Uint8Array(words.buffer, 0, n);
  }
}

/**
 * Writes seeded bytes into a process's stdin at a steady rate (10 ms pieces), hashing what
 * was written. If the process reads slower than the rate, the feed falls behind (it never
 * skips): `lagMs` says by how much.
 * @example
 * ```ts
 * const feed = new PacedFeed(sender.child.stdin, { bytesPerSecond: 2 * 2 ** 20, seed: 1 });
 * await feed.run(10_000); // 10 s of input, then the input ends
 * ```
 */
export class PacedFeed {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #hash: Hash = createHash("sha256");
  readonly #gen: ByteStream;
  readonly #keep: Uint8Array[] | null;
  readonly bytesPerSecond: number;
  /** Bytes written so far. */
  written = 0;
  /** How far behind its schedule the feed was at its worst (ms). */
  lagMs = 0;
  /** False once the process stopped reading (it exited or closed its input). */
  open = true;
  #stopped = false;

  constructor(
    stdin: WritableStream<Uint8Array>,
    o: { bytesPerSecond: number; seed: number; keep?: boolean },
  ) {
    this.#writer = stdin.getWriter();
    this.bytesPerSecond = o.bytesPerSecond;
    this.#gen = new ByteStream(o.seed);
    this.#keep = o.keep ? [] : null;
  }

  /**
   * Feeds for `ms` (or until {@link stop}), then closes the input unless `leaveOpen`.
   * Resolves when done; never rejects (a process that stopped reading ends the feed).
   */
  async run(ms: number, o: { leaveOpen?: boolean } = {}): Promise<void> {
    const piece = Math.max(1, Math.round(this.bytesPerSecond / 100));
    const t0 = performance.now();
    for (let i = 0; !this.#stopped && (i + 1) * 10 <= ms; i++) {
      const b = this.#gen.next(piece);
      // Kept before the write: a write that fails may still have been read in part.
      this.#keep?.push(b);
      try {
        await this.#writer.write(b);
      } catch {
        this.open = false;
        return;
      }
      this.#hash.update(b);
      this.written += b.length;
      const ahead = t0 + (i + 1) * 10 - performance.now();
      if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
      else this.lagMs = Math.max(this.lagMs, -ahead);
    }
    if (o.leaveOpen) {
      this.#writer.releaseLock();
      return;
    }
    await this.#writer.close().catch(() => {});
  }

  /** Ends {@link run} after the current piece. */
  stop(): void {
    this.#stopped = true;
  }

  /** SHA-256 (hex) of everything written. */
  sha(): string {
    return this.#hash.copy().digest("hex");
  }

  /**
   * Everything written (only with `keep: true`), and the piece whose write failed, if one did:
   * the process may have read part of it before it stopped, so an output that is a correct
   * prefix may reach into it.
   */
  bytes(): Uint8Array {
    if (!this.#keep) throw new Error("PacedFeed: construct with keep: true to get the bytes");
    return concat(this.#keep);
  }
}

/**
 * Reads a stream to its end, hashing it and time-stamping every read, so that the longest
 * pause of the output around a fault can be measured. With `bytesPerSecond` it reads no
 * faster than that (a slow output: the pipe fills, the receiver's writes wait).
 * @example
 * ```ts
 * const out = new OutputWatch(receiver.child.stdout);
 * const { bytes, sha } = await out.done;
 * console.log(out.longestGap(faultAt, faultAt + 2000));
 * ```
 */
export class OutputWatch {
  /** `[performance.now(), bytes so far]` after each read. */
  readonly reads: [number, number][] = [];
  readonly done: Promise<{ bytes: number; sha: string }>;
  readonly #keep: Uint8Array[] | null;
  bytes = 0;

  constructor(
    stream: ReadableStream<Uint8Array>,
    o: { keep?: boolean; bytesPerSecond?: number } = {},
  ) {
    const keep: Uint8Array[] | null = o.keep ? [] : null;
    this.#keep = keep;
    const hash = createHash("sha256");
    this.done = (async () => {
      const t0 = performance.now();
      for await (const chunk of stream) {
        hash.update(chunk);
        keep?.push(chunk);
        this.bytes += chunk.length;
        this.reads.push([performance.now(), this.bytes]);
        if (o.bytesPerSecond) {
          const due = t0 + (this.bytes / o.bytesPerSecond) * 1000 - performance.now();
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
      }
      return { bytes: this.bytes, sha: hash.digest("hex") };
    })();
  }

  /**
   * The longest time the output stood still, among the pauses that end in [from, to): each
   * pause runs from one read to the next (a pause still going at `to` counts up to `to`). A
   * pause belongs to the window where it ends, so a fault's stall is not also counted as the
   * calm before it (ms).
   */
  longestGap(from: number, to: number): number {
    let longest = 0;
    let prev: number | null = null;
    for (const [t] of this.reads) {
      if (t >= to) return longest;
      if (t >= from && prev !== null) longest = Math.max(longest, t - prev);
      prev = t;
    }
    // Nothing read after `prev`: the output stands still up to `to`.
    return Math.max(longest, to - Math.max(prev ?? from, from));
  }

  /** When the output first held more than `bytes` (performance.now()), or null. */
  timeBeyond(bytes: number): number | null {
    return this.reads.find(([, n]) => n > bytes)?.[0] ?? null;
  }

  /** Bytes read by time `t`. */
  bytesAt(t: number): number {
    let n = 0;
    for (const [u, b] of this.reads) {
      if (u > t) break;
      n = b;
    }
    return n;
  }

  /** Everything read (only with `keep: true`). */
  output(): Uint8Array {
    if (!this.#keep) throw new Error("OutputWatch: construct with keep: true to get the bytes");
    return concat(this.#keep);
  }
}

/**
 * Resident memory of process `pid` (VmRSS, bytes), or null when it is gone.
 * @example
 * ```ts
 * const rss = await rssOf(receiver.child.pid);
 * ```
 */
export async function rssOf(pid: number): Promise<number | null> {
  const r = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!r.success) return null;
  const m = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(r.stdout));
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Samples the RSS of some processes every `everyMs` until {@link stop}.
 * @example
 * ```ts
 * const s = RssSampler.start({ sender: pid1, receiver: pid2 }, 5000);
 * await s.stop(); console.log(s.samples);
 * ```
 */
export class RssSampler {
  /** `{ t: ms since start, rss: { name: bytes } }` per sample. */
  readonly samples: { t: number; rss: Record<string, number> }[] = [];
  #running = true;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> = Promise.resolve();

  private constructor(readonly pids: Record<string, number>, readonly everyMs: number) {}

  static start(pids: Record<string, number>, everyMs: number): RssSampler {
    const s = new RssSampler(pids, everyMs);
    s.#loop = s.#run();
    return s;
  }

  async #run(): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; this.#running; i++) {
      await this.sample(performance.now() - t0);
      const wait = t0 + (i + 1) * this.everyMs - performance.now();
      if (wait > 0 && this.#running) {
        await new Promise<void>((r) => {
          this.#wake = r;
          this.#timer = setTimeout(r, wait);
        });
      }
    }
  }

  /** Takes one sample now (also used by {@link start}'s loop). */
  async sample(t: number): Promise<void> {
    const rss: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const v = await rssOf(pid);
      if (v !== null) rss[name] = v;
    }
    if (Object.keys(rss).length > 0) this.samples.push({ t, rss });
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
  }
}

/**
 * Least-squares slope of `ys` over `xs` (units of y per unit of x), 0 for fewer than 2 points.
 * @example
 * ```ts
 * slope([0, 1, 2], [10, 12, 14]); // 2
 * ```
 */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Bytes as MiB with one decimal.
 * @example
 * ```ts
 * mib(3 * 2 ** 20); // "3.0 MiB"
 * ```
 */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/**
 * SHA-256 (hex) of some bytes.
 * @example
 * ```ts
 * sha256(new Uint8Array(0));
 * ```
 */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Options of {@link openFaultRig}. */
export interface FaultRigOptions {
  /** Emulated links (`simulate`'s specs: `12mbit/20ms`, `8mbit/30ms,jitter=5ms`). */
  links: string[];
  receiverArgs?: string[];
  senderArgs?: string[];
  /** Read the receiver's output no faster than this (a slow output). */
  outputBytesPerSecond?: number;
  /** Keep the whole output (for a prefix check), not only its hash. */
  keepOutput?: boolean;
  /** Seed of the emulator's jitter and loss. */
  seed?: number;
}

/**
 * A receiver, an emulator and a sender, all up; the sender's stdin is free for a feed.
 * @example
 * ```ts
 * const rig = await openFaultRig({ links: ["12mbit/20ms", "12mbit/30ms"] });
 * try {
 *   const feed = new PacedFeed(rig.sender.child.stdin, { bytesPerSecond: 1 << 20, seed: 1 });
 *   setTimeout(() => rig.emu.cut(1), 2000);
 *   await feed.run(5000);
 *   await rig.bothExited();
 * } finally {
 *   await rig.close();
 * }
 * ```
 */
export interface FaultRig {
  emu: Emulator;
  receiver: Proc;
  sender: Proc;
  output: OutputWatch;
  dir: string;
  /** Both processes' exits (and the output's end), whatever they were. */
  bothExited(ms?: number): Promise<{ sender: Exited; receiver: Exited }>;
  /** Kills what still runs, stops the emulator, removes the temp dir. */
  close(): Promise<void>;
}

/** How a process ended. */
export interface Exited {
  code: number;
  stderr: string;
}

/** Starts a {@link FaultRig}; on a failure halfway, stops what it started. */
export async function openFaultRig(o: FaultRigOptions): Promise<FaultRig> {
  const ws = await tempWorkspace();
  const procs: Proc[] = [];
  let emu: Emulator | undefined;
  const close = async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.done));
    await emu?.close();
    await ws.cleanup();
  };
  try {
    const receiver = spawnBondctl([
      "receive",
      "--listen",
      "127.0.0.1:0",
      "--self-signed",
      "--token-file",
      ws.tokenFile,
      "--output",
      "-",
      "--once",
      ...(o.receiverArgs ?? []),
    ], { stdout: "piped" });
    procs.push(receiver);
    const output = new OutputWatch(receiver.child.stdout, {
      keep: o.keepOutput,
      bytesPerSecond: o.outputBytesPerSecond,
    });
    const pin = (await receiver.waitFor(/--pin (sha256:[0-9a-f]{64})/, 30_000))[1];
    const port = Number((await receiver.waitFor(/listening on .*:(\d+)$/, 30_000))[1]);
    emu = await startEmulator({ links: o.links, target: `127.0.0.1:${port}`, seed: o.seed });
    const sender = spawnBondctl([
      "send",
      "--server",
      `127.0.0.1:${port}`,
      "--pin",
      pin,
      "--token-file",
      ws.tokenFile,
      ...emu.ports.flatMap((p, i) => ["--link", `127.0.0.${i + 2},via=127.0.0.1:${p}`]),
      ...(o.senderArgs ?? []),
    ], { stdin: "piped" });
    procs.push(sender);
    const rigEmu = emu;
    return {
      emu: rigEmu,
      receiver,
      sender,
      output,
      dir: ws.dir,
      async bothExited(ms = 120_000) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            reject(
              new Error(
                `timed out after ${ms} ms waiting for both to exit; sender:\n` +
                  `${sender.lines.join("\n")}\nreceiver:\n${receiver.lines.join("\n")}`,
              ),
            );
          }, ms);
        });
        try {
          const [s, r] = await Promise.race([
            Promise.all([sender.done, receiver.done, output.done]),
            timeout,
          ]);
          return { sender: s, receiver: r };
        } finally {
          clearTimeout(timer);
        }
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
