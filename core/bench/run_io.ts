/**
 * Runs one contender of a bench on a lab and measures it: its server and sender as separate
 * processes, the bench itself as the stream's source (writing stamped records into the
 * sender's stdin) and sink (reading the server's stdout).
 *
 * Steps, in order:
 * 1. start the server side (bondctl receive, or the socket pipe listening) and read its port;
 * 2. `lab.attach(port)`: relays per link where the lab has them;
 * 3. start the sender side, bound to the links' addresses, and wait until it is connected;
 * 4. the source writes records (as fast as the sender takes them, or paced at a bitrate);
 *    the sink reads, checks and times them; the window opens at the first byte, and then
 *    CPU is sampled and the faults are scheduled from that moment;
 * 5. when the window closes: CPU sampled again, the source ends its stream, the lab undoes
 *    the faults, and the sink reads until the stream ends (or the drain time runs out);
 * 6. both processes are awaited (killed if they linger) and the figures computed.
 * @module
 */
import type { Contender } from "./contenders.ts";
import type { Fault } from "./faults.ts";
import { describeFault } from "./faults.ts";
import type { BenchLab, Dest } from "./lab_io.ts";
import { type ProcSample, ProcWatcher } from "./proc_stats_io.ts";
import { BenchRecorder, type SinkFigures } from "./recorder.ts";
import { StampReader, stampRecords } from "./stamps.ts";

/**
 * How to run one contender.
 * @example
 * ```ts
 * await runContender({ lab, contender, links: 2, best: 1, durationMs: 20_000, ...rest });
 * ```
 */
export interface RunOptions {
  lab: BenchLab;
  contender: Contender;
  /** Link count and the best link (from 1). */
  links: number;
  best: number;
  durationMs: number;
  recordBytes: number;
  /** Paced source rate (bit/s), or null: as fast as the sender takes it. */
  paceBps: number | null;
  faults: readonly Fault[];
  /** Starts bondctl: the argv before the subcommand. */
  bondctl: string[];
  /** Starts the socket pipe: the argv before `listen`/`connect`. */
  pipe: string[];
  tokenFile: string;
  /** Congestion control for the kernel contenders. */
  kernelCc: string;
  /** TCP_NOTSENT_LOWAT for the kernel contenders (bytes; 0 = not set). */
  notsentLowat: number;
  /** How long the stream may take to drain after the window (ms). */
  drainMs: number;
  log: (line: string) => void;
  /** Every process started, so that a signal handler can kill them. */
  children: Set<Deno.ChildProcess>;
}

/**
 * A contender's processes' use of the machine while the window was open.
 * @example
 * ```ts
 * const p: ProcFigures = { cpuSeconds: 1.5, peakRssBytes: 90e6 };
 * ```
 */
export interface ProcFigures {
  cpuSeconds: number;
  peakRssBytes: number;
}

/**
 * What one contender achieved.
 * @example
 * ```ts
 * const r: ContenderRun = await runContender(opts); if (r.status !== "ok") console.error(r.note);
 * ```
 */
export interface ContenderRun {
  contender: Contender;
  status: "ok" | "failed" | "skipped";
  /** Why it failed or was skipped, or a remark. */
  note?: string;
  sink: SinkFigures | null;
  sentBytes: number;
  /** Bytes written by the source that did not arrive whole and in order. */
  lostBytes: number;
  client: ProcFigures | null;
  server: ProcFigures | null;
}

interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray>;
  exited: Promise<Deno.CommandStatus>;
}

function start(argv: string[], children: Set<Deno.ChildProcess>, stdin: boolean): Proc {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  children.add(child);
  const exited = child.status.finally(() => children.delete(child));
  const lines: string[] = [];
  const waiters: { re: RegExp; ok: (m: RegExpExecArray) => void }[] = [];
  (async () => {
    let buf = "";
    for await (const s of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += s;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          const m = w.re.exec(line);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.ok(m);
          }
        }
      }
    }
    if (buf) lines.push(buf);
  })().catch(() => {});
  return {
    child,
    lines,
    exited,
    waitFor(re, ms) {
      const seen = lines.map((l) => re.exec(l)).find((m) => m);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms`)), ms);
        waiters.push({
          re,
          ok: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        });
        exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`it exited: ${lastLines(lines)}`));
        });
      });
    },
  };
}

function lastLines(lines: string[]): string {
  return lines.filter((l) => l.trim()).slice(-3).join(" | ") || "(no output)";
}

function kill(p: Proc | null): void {
  try {
    p?.child.kill("SIGKILL");
  } catch { /* gone */ }
}

/** 1. The server side; resolves with the process, its port and (bond) its pin. */
async function startServer(o: RunOptions): Promise<{ proc: Proc; port: number; pin?: string }> {
  const host = o.lab.serverHost;
  if (o.contender.kind === "bond") {
    const proc = start(
      o.lab.serverArgv([
        ...o.bondctl,
        "receive",
        "--listen",
        `${host}:0`,
        "--self-signed",
        "--token-file",
        o.tokenFile,
        "--output",
        "-",
        "--once",
        "--quiet",
      ]),
      o.children,
      false,
    );
    const pin = (await proc.waitFor(/--pin (sha256:[0-9a-f]{64})/, 30_000))[1];
    const port = Number((await proc.waitFor(/listening on .*:(\d+)$/, 30_000))[1]);
    return { proc, port, pin };
  }
  const mptcp = o.contender.kind === "mptcp" ? ["--mptcp"] : [];
  const proc = start(
    o.lab.serverArgv([...o.pipe, "listen", `${host}:0`, ...mptcp]),
    o.children,
    false,
  );
  const port = Number((await proc.waitFor(/listening (\d+)/, 30_000))[1]);
  return { proc, port };
}

/** 3. The sender side. */
function startClient(o: RunOptions, dests: Dest[], port: number, pin?: string): Proc {
  const server = `${o.lab.serverHost}:${port}`;
  if (o.contender.kind === "bond") {
    const links = dests.flatMap((d, i) => {
      const via = d.host === o.lab.serverHost && d.port === port ? "" : `,via=${d.host}:${d.port}`;
      return ["--link", `${o.lab.linkAddress(i + 1)}${via}`];
    });
    return start(
      o.lab.clientArgv([
        ...o.bondctl,
        "send",
        "--server",
        server,
        "--pin",
        pin!,
        "--token-file",
        o.tokenFile,
        "--input",
        "-",
        "--policy",
        o.contender.policy!,
        ...links,
      ]),
      o.children,
      true,
    );
  }
  const d = dests[o.best - 1];
  const args = [
    "connect",
    `${d.host}:${d.port}`,
    "--from",
    o.lab.linkAddress(o.best),
    "--cc",
    o.kernelCc,
    ...(o.notsentLowat > 0 ? ["--notsent-lowat", String(o.notsentLowat)] : []),
    ...(o.contender.kind === "mptcp" ? ["--mptcp"] : []),
  ];
  return start(o.lab.clientArgv([...o.pipe, ...args]), o.children, true);
}

/**
 * Runs one contender (steps 1-6) and returns its figures; failures of the contender are a
 * result (`status: "failed"`), not an exception.
 * @example
 * ```ts
 * const r = await runContender({ lab, contender, links: 4, best: 1, durationMs: 20_000, ... });
 * ```
 */
export async function runContender(o: RunOptions): Promise<ContenderRun> {
  const c = o.contender;
  const result: ContenderRun = {
    contender: c,
    status: "ok",
    sink: null,
    sentBytes: 0,
    lostBytes: 0,
    client: null,
    server: null,
  };
  let server: Proc | null = null;
  let client: Proc | null = null;
  const watchers: ProcWatcher[] = [];
  const timers: ReturnType<typeof setTimeout>[] = [];
  const faultRuns: Promise<void>[] = [];
  let attached = false;
  try {
    // 1.-3.
    const s = await startServer(o);
    server = s.proc;
    const dests = await o.lab.attach(s.port);
    attached = true;
    client = startClient(o, dests, s.port, s.pin);
    try {
      await client.waitFor(c.kind === "bond" ? /session [0-9a-f]+ open/ : /^connected/, 30_000);
    } catch (e) {
      // The MPTCP program's exit 3 means the kernel has none: a skip, not a failure.
      const st = await Promise.race([client.exited, new Promise((r) => setTimeout(r, 500))]);
      if ((st as Deno.CommandStatus | undefined)?.code === 3) {
        return { ...result, status: "skipped", note: lastLines(client.lines) };
      }
      throw new Error(`the sender did not connect: ${(e as Error).message}`);
    }
    const sw = new ProcWatcher(server.child.pid);
    const cw = new ProcWatcher(client.child.pid);
    watchers.push(sw, cw);

    // 4.
    const rec = new BenchRecorder({ durationMs: o.durationMs });
    const reader = new StampReader(o.recordBytes);
    const t0 = performance.now();
    const rel = () => performance.now() - t0;
    let baseline: [ProcSample, ProcSample] | null = null;
    let windowOpenAbs = Infinity;
    let opened!: () => void;
    const windowOpen = new Promise<void>((r) => (opened = r));
    // Resolves when the window closes, even while a write is blocked on a dead link.
    const windowClosed = windowOpen.then(() =>
      new Promise<"closed">((r) => timers.push(setTimeout(() => r("closed"), o.durationMs)))
    );
    const sink = (async () => {
      for await (const chunk of server!.child.stdout) {
        const now = performance.now();
        const t = now - t0;
        const first = rec.windowStartMs === null;
        rec.onChunk(chunk.length, t);
        if (first) {
          windowOpenAbs = now;
          opened();
        }
        for (const r of reader.push(chunk)) {
          if (r.sentAt >= windowOpenAbs) rec.onRecord(now - r.sentAt, o.recordBytes, t);
        }
      }
    })();
    windowOpen.then(async () => {
      for (const f of o.faults) {
        timers.push(setTimeout(() => {
          o.log(`${c.name}: ${describeFault(f)}`);
          faultRuns.push(
            o.lab.fault(f).catch((e) => o.log(`${c.name}: fault failed: ${e.message}`)),
          );
        }, f.atMs));
      }
      baseline = [await cw.sample(), await sw.sample()];
    });
    let lastBytes = 0;
    let lastAt = 0;
    const progress = setInterval(() => {
      const start = rec.windowStartMs;
      if (start === null) return;
      const now = rel();
      const f = rec.figures(now);
      const recent = ((f.deliveredBytes - lastBytes) * 8000) / Math.max(1, now - lastAt);
      [lastBytes, lastAt] = [f.deliveredBytes, now];
      const secs = Math.min(o.durationMs, now - start) / 1000;
      o.log(`${c.name}: ${secs.toFixed(0)} s, now ${(recent / 1e6).toFixed(1)} Mbit/s`);
    }, 5000);
    timers.push(progress as unknown as ReturnType<typeof setTimeout>);

    const writer = client.child.stdin.getWriter();
    const noStart = setTimeout(() => {
      if (rec.windowStartMs === null) kill(client);
    }, 30_000);
    timers.push(noStart);
    let index = 0;
    const size = o.recordBytes;
    const perBatch = Math.max(1, Math.floor(32 * 1024 / size));
    // A write still blocked when the window closes (its link is dead): it may finish later.
    let blocked: Promise<unknown> | null = null;
    try {
      while (!rec.windowOver(rel())) {
        let n = perBatch;
        let stampAt = performance.now();
        if (o.paceBps !== null) {
          const due = Math.floor(((rel() / 1000) * o.paceBps) / 8 / size);
          n = Math.min(perBatch, due - index);
          if (n <= 0) {
            await new Promise((r) => setTimeout(r, 2));
            continue;
          }
          // A paced record exists from its scheduled time on: waiting counts as delay.
          stampAt = t0 + (index * size * 8 * 1000) / o.paceBps;
        }
        const batch = new Uint8Array(n * size);
        stampRecords(batch, size, index, stampAt);
        const write = writer.write(batch);
        // Handed over: counted as sent (and as lost if it never arrives).
        index += n;
        result.sentBytes += batch.length;
        if ((await Promise.race([write.then(() => "written"), windowClosed])) === "closed") {
          blocked = write;
          break;
        }
      }
    } catch (e) {
      result.status = "failed";
      result.note = `the sender stopped taking input: ${(e as Error).message}; ${
        lastLines(client.lines)
      }`;
    }

    // 5.
    const end: [ProcSample, ProcSample] = [await cw.sample(), await sw.sample()];
    if (blocked) o.log(`${c.name}: the sender still blocks the source: waiting for it to drain`);
    void (blocked ?? Promise.resolve()).then(() => writer.close()).catch(() => {});
    for (const t of timers) clearTimeout(t);
    clearInterval(progress);
    await Promise.all(faultRuns);
    await o.lab.endFaults();
    const drained = await Promise.race([
      sink.then(() => true, () => true),
      new Promise<boolean>((r) => timers.push(setTimeout(() => r(false), o.drainMs))),
    ]);
    if (!drained && result.status === "ok") {
      result.status = "failed";
      result.note = `the stream did not end within ${o.drainMs} ms of the window; sender: ` +
        `${lastLines(client.lines)} | server: ${lastLines(server.lines)}`;
    }
    kill(drained ? null : server);
    // 6.
    const exits = await Promise.race([
      Promise.all([client.exited, server.exited]),
      new Promise<null>((r) => timers.push(setTimeout(() => r(null), 10_000))),
    ]);
    for (const t of timers) clearTimeout(t);
    if (exits === null) {
      kill(client);
      kill(server);
    } else if (result.status === "ok") {
      const [cs, ss] = exits;
      if (!cs.success || !ss.success) {
        result.status = "failed";
        result.note = `exit ${cs.code} (sender) / ${ss.code} (server): sender: ` +
          `${lastLines(client.lines)} | server: ${lastLines(server.lines)}`;
      }
    }
    await sink.catch(() => {});
    result.sink = rec.figures(rel());
    result.lostBytes = result.sentBytes - reader.validBytes;
    if (reader.broken && result.status === "ok") {
      result.status = "failed";
      result.note = reader.broken;
    }
    const b = baseline as [ProcSample, ProcSample] | null;
    if (b) {
      result.client = procFigures(b[0], end[0], cw.latest);
      result.server = procFigures(b[1], end[1], sw.latest);
    }
    return result;
  } catch (e) {
    return {
      ...result,
      status: "failed",
      note: (e as Error).message + (server ? ` | server: ${lastLines(server.lines)}` : ""),
    };
  } finally {
    for (const t of timers) clearTimeout(t);
    kill(client);
    kill(server);
    await Promise.all(watchers.map((w) => w.stop()));
    await Promise.all([client?.exited, server?.exited]);
    if (attached) await o.lab.detach().catch(() => {});
  }
}

function procFigures(a: ProcSample, b: ProcSample, last: ProcSample): ProcFigures {
  return {
    cpuSeconds: Math.max(0, b.cpuMs - a.cpuMs) / 1000,
    peakRssBytes: Math.max(b.peakRssBytes, last.peakRssBytes),
  };
}
