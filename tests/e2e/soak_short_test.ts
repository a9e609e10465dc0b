/**
 * The soak in the suite: `tests/soak/soak.ts` run as `deno task soak` runs it, for 60 s at
 * 50 Mbit/s over four emulated links, with a fault every 15 s (a cut, a silence, a rate drop:
 * one of each, where the full soak injects one every 30 s for 10 minutes). It must end with the
 * output's SHA-256 equal to the input's and both processes' RSS within the soak's bound after
 * warm-up; its figures are printed.
 * @module
 */
import assert from "node:assert/strict";

const SOAK = new URL("../soak/soak.ts", import.meta.url).pathname;

Deno.test("soak, 60 s: 50 Mbit/s over four emulated links with a fault every 15 s, nothing lost, memory flat", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      SOAK,
      "--duration",
      "60s",
      "--fault-every",
      "15s",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const [status, out, err] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  // The summary lines (the per-30 s progress lines are left out).
  console.log(err.split("\n").filter((l) => !/^soak: \d+ s: in /.test(l)).join("\n").trim());
  const json = out.trim().split("\n").at(-1) ?? "";
  assert.ok(json.startsWith("{"), `the soak printed no report (exit ${status.code}):\n${err}`);
  const r = JSON.parse(json);
  assert.deepEqual(r.failures, [], r.failures.join("; "));
  assert.equal(r.outputBytes, r.inputBytes, "bytes lost");
  assert.equal(r.outputSha, r.inputSha, "output SHA-256 differs from input SHA-256");
  assert.ok(r.inputBytes > 0);
  assert.ok(r.faults.length >= 3, "at least three faults in 60 s");
  assert.ok(r.rss.sender && r.rss.receiver, "RSS of both processes sampled");
  assert.equal(status.code, 0, err);
});
