/**
 * Reads the hardware facts of every interface from `/sys/class/net/*` (see sysfs.ts) in one
 * `sh` run: Deno wants --allow-all to read /sys directly. Inside `ip netns exec`, /sys is the
 * namespace's own.
 * @module
 */
import { runTool } from "./command_io.ts";
import { parseSysfsListing, SYSFS_SCRIPT, type SysfsFacts } from "./sysfs.ts";

/**
 * Facts of every interface; empty when sysfs cannot be read (then names decide the kinds).
 * @example
 * ```ts
 * const facts = await readSysfsFacts(); // { wlan0: { wireless: true, driver: "iwlwifi", ... } }
 * ```
 */
export async function readSysfsFacts(): Promise<Record<string, SysfsFacts>> {
  const r = await runTool(["sh", "-c", SYSFS_SCRIPT], { timeoutMs: 10_000 });
  return r.kind === "ok" ? parseSysfsListing(r.stdout) : {};
}
