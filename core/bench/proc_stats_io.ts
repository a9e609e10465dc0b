/**
 * CPU time and peak RSS of a running process, sampled from /proc/PID (Linux) every 100 ms
 * with `cat`: Deno grants /proc only with --allow-all, and `cat` needs only --allow-run.
 * The bench takes a sample when its window opens and one when it closes, so that start-up
 * (Deno compiling, TLS handshakes) does not count in CPU seconds per GB.
 * @module
 */

/**
 * One sample.
 * @example
 * ```ts
 * const s: ProcSample = { cpuMs: 1200, peakRssBytes: 90e6 };
 * ```
 */
export interface ProcSample {
  /** User + system CPU time so far (ms). */
  cpuMs: number;
  /** Peak resident set size so far (VmHWM, bytes). */
  peakRssBytes: number;
}

/** Clock ticks per second for /proc/PID/stat (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/**
 * Reads /proc/PID once; null when the process is gone.
 * @example
 * ```ts
 * const s = await readProc(child.pid);
 * ```
 */
export async function readProc(pid: number): Promise<ProcSample | null> {
  const out = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`, `/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return null;
  const text = new TextDecoder().decode(out.stdout);
  const stat = text.slice(0, text.indexOf("\n"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(text);
  return { cpuMs, peakRssBytes: hwm ? Number(hwm[1]) * 1024 : 0 };
}

/**
 * Samples a process until it exits or `stop()` is called; `latest` is the last sample.
 * @example
 * ```ts
 * const w = new ProcWatcher(child.pid);
 * const before = w.latest.cpuMs; // ... later
 * const used = w.latest.cpuMs - before;
 * await w.stop();
 * ```
 */
export class ProcWatcher {
  readonly pid: number;
  latest: ProcSample = { cpuMs: 0, peakRssBytes: 0 };
  #running = true;
  #loop: Promise<void>;

  constructor(pid: number, intervalMs = 100) {
    this.pid = pid;
    this.#loop = (async () => {
      while (this.#running) {
        const s = await readProc(pid);
        if (s === null) break;
        this.latest = {
          cpuMs: s.cpuMs,
          peakRssBytes: Math.max(s.peakRssBytes, this.latest.peakRssBytes),
        };
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  /** Takes one more sample now (if the process is still there) and returns the latest. */
  async sample(): Promise<ProcSample> {
    const s = await readProc(this.pid);
    if (s !== null) {
      this.latest = {
        cpuMs: s.cpuMs,
        peakRssBytes: Math.max(s.peakRssBytes, this.latest.peakRssBytes),
      };
    }
    return this.latest;
  }

  /** Stops sampling. */
  async stop(): Promise<ProcSample> {
    this.#running = false;
    await this.#loop;
    return this.latest;
  }
}
