/**
 * `links route`, the I/O part: the state file that records what `--apply` installed, and the
 * runner of a plan's `ip` commands, which stops at the first failure and says which ran.
 * @module
 */
import { showCommand } from "./bring_up.ts";
import { runTool } from "./command_io.ts";
import { ToolFailedError } from "./errors.ts";
import { parseRouteState, type PlannedCommand, type RouteState } from "./route_plan.ts";

/**
 * Reads the state file; null when there is none.
 * @example
 * ```ts
 * const previous = await loadRouteState("/run/bondctl/routes.json");
 * ```
 */
export async function loadRouteState(path: string): Promise<RouteState | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new ToolFailedError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return parseRouteState(text, path);
}

/**
 * Writes the state file (atomically: a temp file renamed over it); with no items left, removes
 * it instead.
 * @example
 * ```ts
 * await saveRouteState("/run/bondctl/routes.json", plan.state);
 * ```
 */
export async function saveRouteState(path: string, state: RouteState): Promise<void> {
  if (state.items.length === 0) {
    await Deno.remove(path).catch(() => {});
    return;
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(state, null, 2) + "\n", { mode: 0o644 });
  await Deno.rename(tmp, path);
}

/**
 * Runs a plan's commands in order; stops at the first failure.
 * @example
 * ```ts
 * const { ran, error } = await runPlan(plan.commands, (line) => console.log(line));
 * ```
 */
export async function runPlan(
  commands: readonly PlannedCommand[],
  say: (line: string) => void,
): Promise<{ ran: PlannedCommand[]; error?: Error }> {
  const ran: PlannedCommand[] = [];
  for (const c of commands) {
    const r = await runTool(c.argv, { timeoutMs: 20_000 });
    if (r.kind === "missing") {
      return { ran, error: new ToolFailedError("ip is not installed: install iproute2") };
    }
    if (r.kind === "failed") {
      return {
        ran,
        error: new ToolFailedError(
          `${showCommand(c.argv)} failed: ${r.stderr || `exit ${r.code}`}`,
        ),
      };
    }
    say(`ran: ${showCommand(c.argv)}`);
    ran.push(c);
  }
  return { ran };
}
