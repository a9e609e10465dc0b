/**
 * `bondctl bench --lab netns` end to end on real kernel links: two namespaces, two veth links
 * shaped by tbf, every contender (bondctl, the best single link, the kernel's MPTCP) for 5 s,
 * with link 2 silently dropped (nftables) and restored mid-run. Asserts that every contender
 * ran (MPTCP may be skipped, with a reason, on a kernel without it), that nothing was lost,
 * and that the lab's namespaces are gone afterwards. Prints the figures; asserts no speed.
 * Skips with a printed reason without root or network namespaces.
 * @module
 */
import assert from "node:assert/strict";
import { spawnBondctl } from "../_helpers/bondctl.ts";
import { netnsSupport } from "../links/_netns.ts";

const support = await netnsSupport();
if (!support.ok) console.log(`skip: bench_netns_test needs network namespaces: ${support.why}`);
const tc = support.ok &&
  (await new Deno.Command("sh", { args: ["-c", "command -v tc && command -v nft"], stdout: "null" })
    .output()).success;
if (support.ok && !tc) console.log("skip: bench_netns_test needs tc (iproute2) and nft (nftables)");

Deno.test({
  name: "bench --lab netns races every contender on shaped veth links and loses nothing",
  ignore: !support.ok || !tc,
  async fn() {
    const p = spawnBondctl([
      "bench",
      "--lab",
      "netns",
      "--links",
      "10mbit,5mbit",
      "--duration",
      "5s",
      "--cut",
      "2@2s:blackhole",
      "--restore",
      "2@3s",
      "--json",
    ], { stdout: "piped" });
    const stdout = new Response(p.child.stdout).text();
    const { code, stderr } = await p.done;
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await stdout);
    assert.equal(report.lab, "netns");
    const names = report.contenders.map((c: { name: string }) => c.name);
    assert.deepEqual(names, ["bondctl-earliest", "single-best", "kernel-mptcp"]);
    for (const c of report.contenders) {
      console.log(
        `  ${c.name}: ${c.status}, ${(c.goodputBps / 1e6).toFixed(1)} Mbit/s ` +
          `(${(100 * c.efficiency).toFixed(1)} %), p99 ${Math.round(c.delayMs.p99)} ms, ` +
          `stall ${Math.round(c.longestStallMs)} ms, lost ${c.lostBytes} B${
            c.note ? `: ${c.note}` : ""
          }`,
      );
      if (c.name === "kernel-mptcp" && c.status === "skipped") {
        assert.match(c.note, /MPTCP/);
        continue;
      }
      assert.equal(c.status, "ok", `${c.name}: ${c.note}`);
      assert.equal(c.lostBytes, 0, `${c.name} lost bytes`);
    }
    const left = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" })
      .output();
    const mine = new TextDecoder().decode(left.stdout).split("\n")
      // Only this run's lab: its names carry the bench process's pid (another bench may run).
      .filter((l) => l.startsWith(`bondctl-bench-${p.child.pid}-`));
    assert.deepEqual(mine, [], "the lab's namespaces must be gone");
  },
});
