/**
 * Ties a command's sessions to everything that shows them. Four times a second it samples
 * every session (`core/status/collector.ts`) and, in order:
 * 1. rewrites `--bitrate-file` (so an encoder script sees a change within 250 ms);
 * 2. once a second: appends the snapshot to `--stats`, adds it to the page's history, pushes
 *    it to the status page (`--ui`), and draws the live view (or its summary line).
 * `stop()` writes a last line and puts everything away.
 * @module
 */
import { SessionMeter, type SessionSource, statusSnapshot } from "../core/status/collector.ts";
import { StatusHistory } from "../core/status/history.ts";
import type { StatusSnapshot } from "../core/status/snapshot.ts";
import type { Logger } from "../core/session/driver_io.ts";
import { realClock } from "../core/session/driver_io.ts";
import { LiveView } from "./live_view_io.ts";
import { BitrateFile, LineWriter } from "./status_files_io.ts";
import { startStatusServer, type StatusServer } from "./status_server_io.ts";
import { UserError } from "./common.ts";

/** The status options a command was given. */
export interface MonitorOptions {
  role: "send" | "receive";
  quiet?: boolean;
  /** `--stats FILE|-`. */
  stats?: string;
  /** `--bitrate-file PATH` (send). */
  bitrateFile?: string;
  /** `--ui HOST:PORT` (send). */
  ui?: { host: string; port: number };
  /** Where the command writes its output (`-`: stdout, which `--stats -` would then garble). */
  output?: string;
  /** The command's logger (warnings about the files). */
  log: Logger;
}

/** Sampling period (ms): the bitrate file changes at this pace. */
export const SAMPLE_MS = 250;
/** Period of stats lines, history points, page updates and the live view (ms). */
export const REPORT_MS = 1000;

/**
 * @example
 * ```ts
 * const monitor = await StatusMonitor.start({ role: "send", stats: "-", log });
 * const log2 = monitor.log; // lines above the live view
 * monitor.watch(source);
 * await monitor.stop();
 * ```
 */
export class StatusMonitor {
  readonly view: LiveView;
  /** The command's logger, its lines drawn above the live view. */
  readonly log: Logger;
  readonly server: StatusServer | null;
  #o: MonitorOptions;
  #meters = new Map<string, SessionMeter>();
  /** The sessions to show, asked at every sample (receive: they come and go). */
  #list: (() => readonly SessionSource[]) | null = null;
  #stats: LineWriter | null;
  #bitrate: BitrateFile | null;
  #history = new StatusHistory(600);
  #latest: StatusSnapshot | null = null;
  #startedAt = realClock();
  #nextReportAt = 0;
  #timer: number;
  #stopped = false;

  private constructor(
    o: MonitorOptions,
    stats: LineWriter | null,
    bitrate: BitrateFile | null,
    server: StatusServer | null,
    view: LiveView,
  ) {
    this.#o = o;
    this.#stats = stats;
    this.#bitrate = bitrate;
    this.server = server;
    this.view = view;
    this.log = view.wrapLogger(o.log);
    this.#timer = setInterval(() => this.#tick(), SAMPLE_MS) as unknown as number;
    // The monitor watches the command; it must not keep the process alive by itself.
    Deno.unrefTimer(this.#timer);
  }

  /** Opens the files and the server; a UserError (naming the flag) if one cannot be used. */
  static async start(o: MonitorOptions): Promise<StatusMonitor> {
    if (o.stats === "-" && (o.output ?? "") === "-") {
      throw new UserError(
        `--stats - and --output - both write to standard output: give one of them a file`,
      );
    }
    const warn = (m: string) => o.log.warn(m);
    const stats = o.stats ? await LineWriter.open("--stats", o.stats, warn) : null;
    const bitrate = o.bitrateFile ? await BitrateFile.open(o.bitrateFile, warn) : null;
    let monitor: StatusMonitor | null = null;
    const feed = {
      latest: () => monitor === null ? null : monitor.latest,
      history: () => monitor === null ? [] : monitor.history(),
    };
    let server: StatusServer | null = null;
    try {
      server = o.ui ? startStatusServer(o.ui, feed) : null;
    } catch (e) {
      await stats?.close();
      throw e;
    }
    const view = new LiveView({ who: o.role, quiet: o.quiet });
    monitor = new StatusMonitor(o, stats, bitrate, server, view);
    if (server) {
      monitor.log.info(`status page on ${server.url}`);
      if (!isLoopback(o.ui!.host)) {
        o.log.warn(
          `--ui ${o.ui!.host}: the status page has no password; anyone who reaches this ` +
            "address sees the links and their figures",
        );
      }
    }
    return monitor;
  }

  /** Starts showing a session. */
  watch(source: SessionSource): void {
    this.#meters.set(source.id, new SessionMeter(this.#o.role, source));
    this.#tick();
  }

  /** Follows a changing set of sessions: new ones are shown, ended ones dropped. */
  follow(list: () => readonly SessionSource[]): void {
    this.#list = list;
    this.#tick();
  }

  /** Stops showing a session (it ended). */
  unwatch(id: string): void {
    this.#meters.delete(id);
  }

  /** The chart's points, oldest first. */
  history() {
    return this.#history.points();
  }

  /** The latest snapshot, null before the first sample. */
  get latest(): StatusSnapshot | null {
    return this.#latest;
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = realClock();
    if (this.#list) this.#reconcile(this.#list());
    const snap = statusSnapshot(
      this.#o.role,
      [...this.#meters.values()],
      now,
      new Date().toISOString(),
      this.#startedAt,
    );
    this.#latest = snap;
    // 1. the bitrate file
    const advice = snap.sessions[0]?.bitrate;
    if (this.#bitrate && advice) this.#bitrate.set(advice.recommendedBps);
    // 2. once a second, everything else
    if (now < this.#nextReportAt) return;
    this.#nextReportAt = Math.max(this.#nextReportAt + REPORT_MS, now + REPORT_MS / 2);
    this.#stats?.line(JSON.stringify(snap));
    this.#history.add(snap);
    this.server?.publish(snap);
    this.view.show(snap, now);
  }

  #reconcile(sources: readonly SessionSource[]): void {
    const ids = new Set(sources.map((s) => s.id));
    for (const id of this.#meters.keys()) if (!ids.has(id)) this.#meters.delete(id);
    for (const s of sources) {
      if (!this.#meters.has(s.id)) this.#meters.set(s.id, new SessionMeter(this.#o.role, s));
    }
  }

  /** A last snapshot to `--stats`, the view cleared, the files and the server closed. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    if (this.#stats && this.#meters.size > 0) {
      this.#nextReportAt = 0;
      this.view.clear();
      const snap = statusSnapshot(
        this.#o.role,
        [...this.#meters.values()],
        realClock(),
        new Date().toISOString(),
        this.#startedAt,
      );
      this.#stats.line(JSON.stringify(snap));
    }
    this.#stopped = true;
    clearInterval(this.#timer);
    this.view.clear();
    await this.#stats?.close();
    await this.#bitrate?.settle();
    await this.server?.close();
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}
