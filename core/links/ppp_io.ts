/**
 * `links up` and `links down`, the I/O part: writes the planned files, runs pppd or mmcli,
 * waits for the interface and its address with progress lines, and stops a link again. The
 * decisions are in bring_up.ts; this file only carries them out.
 * @module
 */
import {
  bearerAddressCommands,
  describeUp,
  describeWait,
  type DownPlan,
  showCommand,
  type UpPhase,
  upPhase,
  type UpPlan,
} from "./bring_up.ts";
import { runTool, runToolOrThrow } from "./command_io.ts";
import { interfaceAddrs } from "./discover_io.ts";
import { BringUpError, ToolFailedError } from "./errors.ts";
import type { IpAddress } from "./ip_json.ts";
import { parseBearer, parseModem } from "./mmcli_json.ts";

/**
 * Progress and results for the operator.
 * @example
 * ```ts
 * const log: UpLog = { info: console.error, warn: console.error };
 * ```
 */
export interface UpLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/**
 * How long to wait, and how often to look.
 * @example
 * ```ts
 * const w: WaitOptions = { timeoutMs: 60_000, pollMs: 500, progressMs: 5000 };
 * ```
 */
export interface WaitOptions {
  timeoutMs: number;
  pollMs: number;
  /** A progress line at least this often (and at every change of phase). */
  progressMs: number;
}

/**
 * Carries out an {@link UpPlan}: files, commands, then waits until the interface is up.
 * Resolves with the interface's global addresses.
 * @example
 * ```ts
 * const addrs = await bringUp(planPppUp(opts), log, { timeoutMs: 60_000, pollMs: 500, progressMs: 5000 });
 * ```
 */
export async function bringUp(plan: UpPlan, log: UpLog, wait: WaitOptions): Promise<IpAddress[]> {
  for (const f of plan.files) {
    const dir = f.path.slice(0, f.path.lastIndexOf("/"));
    if (dir) await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(f.path, f.content, { mode: f.mode });
    await Deno.chmod(f.path, f.mode); // mode applies only when the file is created
    log.info(`wrote ${f.path}`);
  }
  for (const argv of plan.commands) {
    log.info(`running ${showCommand(argv)}`);
    const r = await runTool(argv, { timeoutMs: 120_000 });
    if (r.kind === "missing") {
      throw new ToolFailedError(
        `${argv[0]} is not installed: ${
          argv[0] === "pppd" ? "apt-get install ppp" : "apt-get install modemmanager"
        }`,
      );
    }
    if (r.kind === "failed") {
      throw new BringUpError(
        `${showCommand(argv)} failed (exit ${r.code}): ${r.stderr || "no message"}`,
      );
    }
  }
  let name = plan.interfaceName;
  if (plan.method === "modemmanager") name = await configureBearer(plan, log);
  if (!name) throw new BringUpError("ModemManager connected, but named no interface");
  return await waitUp(name, log, wait, plan.method);
}

/** After `--simple-connect`: the bearer's interface and its static address. */
async function configureBearer(plan: UpPlan, log: UpLog): Promise<string | undefined> {
  const modemIndex = plan.commands[0][2];
  const modem = parseModem(await runToolOrThrow(["mmcli", "-m", modemIndex, "-J"]));
  for (const b of modem.bearers) {
    const bearer = parseBearer(await runToolOrThrow(["mmcli", "-b", String(b), "-J"]));
    if (!bearer.connected) continue;
    const present = bearer.interface ? (await interfaceAddrs(bearer.interface)) ?? [] : [];
    const { interfaceName, commands, warnings } = bearerAddressCommands(bearer, present);
    for (const w of warnings) log.warn(w);
    for (const argv of commands) {
      log.info(`running ${showCommand(argv)}`);
      await runToolOrThrow(argv);
    }
    return interfaceName ?? plan.interfaceName;
  }
  return plan.interfaceName;
}

async function waitUp(
  name: string,
  log: UpLog,
  w: WaitOptions,
  method: UpPlan["method"],
): Promise<IpAddress[]> {
  const start = performance.now();
  let last: UpPhase | null = null;
  let lastSaid = start;
  for (;;) {
    const { phase, addresses } = upPhase(name, await interfaceAddrs(name));
    const elapsed = performance.now() - start;
    if (phase === "up") {
      log.info(describeUp(name, addresses));
      return addresses;
    }
    if (phase !== last || performance.now() - lastSaid >= w.progressMs) {
      log.info(describeWait(name, phase, elapsed, w.timeoutMs));
      last = phase;
      lastSaid = performance.now();
    }
    if (elapsed >= w.timeoutMs) {
      const still = method === "pppd"
        ? `pppd keeps trying (see journalctl -t pppd); bondctl links down ${name} stops it`
        : `see mmcli -m N for the modem's state`;
      throw new BringUpError(
        `${name} did not come up within ${Math.round(w.timeoutMs / 1000)} s ` +
          `(${last === "no-address" ? "no address yet" : "no interface yet"}): ${still}`,
      );
    }
    await new Promise((r) => setTimeout(r, w.pollMs));
  }
}

/**
 * What `links down` needs to decide: the pid file and the process it names.
 * @example
 * ```ts
 * const seen = await readPidFile("/var/run/ppp1.pid");
 * ```
 */
export async function readPidFile(
  pidFile: string,
): Promise<{ pidText?: string; cmdline?: string }> {
  const pidText = await Deno.readTextFile(pidFile).catch(() => undefined);
  if (pidText === undefined) return {};
  const pid = /^\s*(\d+)/.exec(pidText)?.[1];
  // Deno wants --allow-all to read /proc itself; cat reads it under --allow-run.
  const r = pid ? await runTool(["cat", `/proc/${pid}/cmdline`], { timeoutMs: 5000 }) : null;
  const cmdline = r?.kind === "ok" ? r.stdout : undefined;
  return { pidText, cmdline };
}

/**
 * Carries out a {@link DownPlan} and waits (up to `timeoutMs`) for the interface to go.
 * @example
 * ```ts
 * await bringDown("ppp1", plan, log, 10_000);
 * ```
 */
export async function bringDown(
  name: string,
  plan: DownPlan,
  log: UpLog,
  timeoutMs: number,
): Promise<void> {
  if (plan.method === "pppd") {
    log.info(`sending SIGTERM to pppd (pid ${plan.pid}, from ${plan.pidFile})`);
    try {
      Deno.kill(plan.pid, "SIGTERM");
    } catch (e) {
      throw new BringUpError(`cannot signal pid ${plan.pid}: ${(e as Error).message}`);
    }
  } else {
    for (const argv of plan.commands) {
      log.info(`running ${showCommand(argv)}`);
      await runToolOrThrow(argv, "apt-get install modemmanager");
    }
    // A modem's interface stays when its bearer disconnects; only pppd's goes away.
    log.info(`${name} is down`);
    return;
  }
  const start = performance.now();
  while ((await interfaceAddrs(name)) !== null) {
    if (performance.now() - start > timeoutMs) {
      log.warn(`${name} still exists after ${Math.round(timeoutMs / 1000)} s`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log.info(`${name} is down`);
}
