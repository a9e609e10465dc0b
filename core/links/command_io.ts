/**
 * Runs the system tools (`ip`, `mmcli`, `pppd`) and reports how each run went, without
 * throwing for a missing tool: discovery reports "mmcli: not installed" and goes on.
 * @module
 */
import { ToolFailedError } from "./errors.ts";

/**
 * How one run went.
 * @example
 * ```ts
 * const r = await runTool(["ip", "-j", "addr"]);
 * if (r.kind === "ok") parseIpAddrs(r.stdout);
 * ```
 */
export type ToolResult =
  | { kind: "ok"; stdout: string; stderr: string }
  | { kind: "missing"; tool: string }
  | { kind: "failed"; code: number; stdout: string; stderr: string };

/**
 * Runs `argv` to its end (killed after `timeoutMs`), capturing its output.
 * @example
 * ```ts
 * await runTool(["mmcli", "-L", "-J"], { timeoutMs: 10_000 });
 * ```
 */
export async function runTool(
  argv: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<ToolResult> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { LC_ALL: "C" },
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { kind: "missing", tool: argv[0] };
    throw e;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  if (opts.timeoutMs) {
    timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, opts.timeoutMs);
  }
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    const stdout = dec.decode(out.stdout);
    const stderr = timedOut
      ? `no answer within ${opts.timeoutMs} ms`
      : dec.decode(out.stderr).trim();
    if (out.success && !timedOut) return { kind: "ok", stdout, stderr };
    return { kind: "failed", code: out.code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `argv` and returns its stdout; throws a {@link ToolFailedError} that quotes the command
 * and its error when it is missing or fails.
 * @example
 * ```ts
 * const text = await runToolOrThrow(["ip", "-j", "-4", "rule"], "install iproute2");
 * ```
 */
export async function runToolOrThrow(argv: readonly string[], hint = ""): Promise<string> {
  const r = await runTool(argv, { timeoutMs: 20_000 });
  if (r.kind === "ok") return r.stdout;
  const cmd = argv.join(" ");
  if (r.kind === "missing") {
    throw new ToolFailedError(`${argv[0]} is not installed${hint ? `: ${hint}` : ""}`);
  }
  throw new ToolFailedError(`${cmd} failed (exit ${r.code}): ${r.stderr || "no message"}`);
}
