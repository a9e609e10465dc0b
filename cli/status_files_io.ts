/**
 * The files the status monitor keeps: `--stats` (JSON lines appended, or standard output) and
 * `--bitrate-file` (the recommended encoder bitrate, replaced atomically so that a script
 * never reads half a number). Neither ever stops the session: a write that fails is reported
 * once and the next one tries again.
 * @module
 */
import { dirname } from "node:path";
import { UserError } from "./common.ts";
import { ownOutput } from "../core/session/stream_io.ts";

/** Lines waiting for a slow reader before the newest are dropped. */
const MAX_PENDING_LINES = 64;

const encoder = new TextEncoder();

/**
 * Appends lines to a file, or writes them to standard output, one write at a time.
 * @example
 * ```ts
 * const out = await LineWriter.open("--stats", "stats.jsonl", log.warn);
 * out.line(JSON.stringify(snapshot));
 * await out.close();
 * ```
 */
export class LineWriter {
  /** A file this writer opened (closed with it), else null. */
  #file: Deno.FsFile | null;
  /** Where lines go: the file, standard output or standard error. */
  #out: { write(b: Uint8Array): Promise<number> };
  #pending: string[] = [];
  #busy: Promise<void> | null = null;
  #warn: (msg: string) => void;
  #flag: string;
  #warned = false;
  /** Lines dropped because the reader did not keep up. */
  dropped = 0;

  private constructor(
    flag: string,
    file: Deno.FsFile | null,
    warn: (msg: string) => void,
    out: { write(b: Uint8Array): Promise<number> } = file ?? Deno.stdout,
  ) {
    this.#flag = flag;
    this.#file = file;
    this.#out = out;
    this.#warn = warn;
  }

  /**
   * Opens `path` for appending (`-` or /dev/stdout: standard output; /dev/stderr: standard
   * error, whose path Deno would refuse once bondctl gave up permissions); fails with a
   * UserError naming the flag.
   */
  static async open(flag: string, path: string, warn: (m: string) => void): Promise<LineWriter> {
    const own = ownOutput(path);
    if (own) return new LineWriter(flag, null, warn, own);
    try {
      const f = await Deno.open(path, { write: true, create: true, append: true });
      return new LineWriter(flag, f, warn);
    } catch (e) {
      throw new UserError(`cannot open ${flag} ${path}: ${(e as Error).message}`);
    }
  }

  /** Queues one line (without its newline). */
  line(text: string): void {
    if (this.#pending.length >= MAX_PENDING_LINES) {
      this.dropped++;
      return;
    }
    this.#pending.push(text + "\n");
    this.#busy ??= this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const bytes = encoder.encode(this.#pending.splice(0).join(""));
      try {
        const w = this.#out;
        for (let off = 0; off < bytes.length;) off += await w.write(bytes.subarray(off));
      } catch (e) {
        if (!this.#warned) this.#warn(`${this.#flag}: cannot write: ${(e as Error).message}`);
        this.#warned = true;
      }
    }
    this.#busy = null;
  }

  /** Writes what is queued and closes the file. */
  async close(): Promise<void> {
    await this.#busy;
    try {
      this.#file?.close();
    } catch { /* closed */ }
    this.#file = null;
  }
}

/**
 * `--bitrate-file`: one number (bit/s) and a newline, rewritten by rename so that a reader
 * sees the old number or the new one, never a mix.
 * @example
 * ```ts
 * const f = await BitrateFile.open("/run/bondctl/bitrate", log.warn);
 * f.set(12_000_000);
 * ```
 */
export class BitrateFile {
  readonly path: string;
  #tmp: string;
  #busy = false;
  #next: number | null = null;
  #warn: (msg: string) => void;
  #warned = false;

  private constructor(path: string, warn: (m: string) => void) {
    this.path = path;
    this.#tmp = `${path}.tmp-${Deno.pid}`;
    this.#warn = warn;
  }

  /** Checks that the file can be written now (its directory exists, it is not a directory). */
  static async open(path: string, warn: (m: string) => void): Promise<BitrateFile> {
    const dir = dirname(path);
    const st = await Deno.stat(dir).catch(() => null);
    if (!st?.isDirectory) {
      throw new UserError(`--bitrate-file ${path}: the directory ${dir} does not exist`);
    }
    if ((await Deno.stat(path).catch(() => null))?.isDirectory) {
      throw new UserError(`--bitrate-file ${path} is a directory: name a file`);
    }
    const f = new BitrateFile(path, warn);
    try {
      await Deno.writeTextFile(f.#tmp, "");
      await Deno.remove(f.#tmp);
    } catch (e) {
      throw new UserError(`--bitrate-file ${path}: cannot write there: ${(e as Error).message}`);
    }
    return f;
  }

  /** Replaces the file's number (coalesced: at most one rewrite in flight). */
  set(bps: number): void {
    this.#next = Math.max(0, Math.round(bps));
    if (!this.#busy) void this.#flush();
  }

  async #flush(): Promise<void> {
    this.#busy = true;
    while (this.#next !== null) {
      const value = this.#next;
      this.#next = null;
      try {
        await Deno.writeTextFile(this.#tmp, `${value}\n`);
        await Deno.rename(this.#tmp, this.path);
        this.#warned = false;
      } catch (e) {
        if (!this.#warned) {
          this.#warn(`--bitrate-file ${this.path}: cannot write: ${(e as Error).message}`);
        }
        this.#warned = true;
      }
    }
    this.#busy = false;
  }

  /** Waits for a rewrite in flight. */
  async settle(): Promise<void> {
    while (this.#busy) await new Promise((r) => setTimeout(r, 5));
  }
}
