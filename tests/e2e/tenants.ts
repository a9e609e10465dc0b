/**
 * `deno task tenants`: one relay, 50 concurrent sessions of four loopback links (real `bondctl
 * send` processes, each its own client), a hostile client alongside; prints whether every
 * output is byte-identical, how long it took, and the relay's peak RSS, as a line and JSON.
 *
 *   deno task tenants                          # 50 sessions of 1 MiB
 *   deno task tenants --sessions 20 --size 1MiB
 * Exit 0 when every output is intact.
 * @module
 */
import { z } from "zod";
import { parseSize } from "../../core/config/mod.ts";
import { runTenants } from "./_tenants.ts";

const args = z.object({
  sessions: z.coerce.number().int().min(1).max(200).default(50),
  size: z.string().default("1MiB"),
}).parse(Object.fromEntries(
  Deno.args.flatMap((a, i, all) => a.startsWith("--") ? [[a.slice(2), all[i + 1]]] : []),
));

const report = await runTenants({
  sessions: args.sessions,
  bytesPerSession: parseSize(args.size),
  log: (l) => console.log(l),
});
console.log(
  `tenants: ${report.identical}/${report.sessions} sessions of ${report.linksPerSession} links ` +
    `byte-identical in ${report.seconds.toFixed(1)} s; ${report.hostileAttempts} hostile ` +
    `attempts; relay peak RSS ${
      report.receiverPeakRssBytes === null
        ? "?"
        : `${(report.receiverPeakRssBytes / 2 ** 20).toFixed(0)} MiB`
    }`,
);
for (const f of report.failures) console.log(`  FAILED ${f}`);
console.log(JSON.stringify(report));
Deno.exit(report.failures.length === 0 ? 0 : 1);
