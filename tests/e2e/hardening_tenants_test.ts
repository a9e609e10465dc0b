/**
 * Many tenants (CI size): one relay, a dozen concurrent sessions of four links each, each its
 * own client and output, with a hostile client knocking alongside; every output must be
 * byte-identical. `deno task tenants` runs the same with 50 sessions.
 * @module
 */
import assert from "node:assert/strict";
import { runTenants } from "./_tenants.ts";

Deno.test("one relay, 12 sessions of four links and a hostile client: every output intact", async () => {
  const r = await runTenants({ sessions: 12, bytesPerSession: 1 << 20 });
  console.log(
    `tenants: ${r.identical}/${r.sessions} outputs byte-identical in ${r.seconds.toFixed(1)} s, ` +
      `${r.hostileAttempts} hostile attempts, relay peak RSS ${
        r.receiverPeakRssBytes === null
          ? "?"
          : `${(r.receiverPeakRssBytes / 2 ** 20).toFixed(0)} MiB`
      }`,
  );
  assert.deepEqual(r.failures, []);
  assert.equal(r.identical, r.sessions);
  assert.ok(r.hostileAttempts > 0, "the hostile client never got a turn");
});
