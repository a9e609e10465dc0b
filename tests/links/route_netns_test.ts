/**
 * `bondctl links route` against a real kernel, in a network namespace the test creates and
 * always removes: two Ethernet-like links (veth) with IPv4 and IPv6 and a point-to-point
 * "ppp9"; `--apply` twice (the second changes nothing), the rules and tables checked with
 * `ip -j`, then `--remove` (everything gone, the state file too). Skips without root/netns.
 * @module
 */
import assert from "node:assert/strict";
import { NetnsLab, netnsSupport, sh } from "./_netns.ts";

const support = await netnsSupport();
if (!support.ok) console.log(`skip: route_netns_test needs network namespaces: ${support.why}`);

interface Rule {
  priority: number;
  src?: string;
  table?: string;
}
interface Route {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
}

Deno.test({
  name: "links route --apply installs per-link tables and rules once; --remove takes them away",
  ignore: !support.ok,
  async fn() {
    const lab = await NetnsLab.open("route");
    try {
      const ns = await lab.namespace("r");
      const ip = (...a: string[]) => sh("ip", "-n", ns, ...a);
      for (const x of [1, 2]) {
        await ip("link", "add", `wan${x}`, "type", "veth", "peer", "name", `gw${x}`);
        for (const d of [`wan${x}`, `gw${x}`]) await ip("link", "set", d, "up");
        await ip("addr", "add", `10.200.${x}.2/24`, "dev", `wan${x}`);
        await ip("-6", "addr", "add", `fd00:200:${x}::2/64`, "dev", `wan${x}`, "nodad");
        await ip(
          "route",
          "add",
          "default",
          "via",
          `10.200.${x}.1`,
          "dev",
          `wan${x}`,
          "metric",
          `10${x}`,
        );
        await ip(
          "-6",
          "route",
          "add",
          "default",
          "via",
          `fd00:200:${x}::1`,
          "dev",
          `wan${x}`,
          "metric",
          `10${x}`,
        );
      }
      // A point-to-point link named like a modem's (no gateway: the route is "dev ppp9").
      await ip("link", "add", "ppp9", "type", "veth", "peer", "name", "ppp9p");
      for (const d of ["ppp9", "ppp9p"]) await ip("link", "set", d, "up");
      await ip("addr", "add", "10.200.9.2", "peer", "10.200.9.1/32", "dev", "ppp9");
      const rulesBefore = await ip("-j", "-4", "rule", "show");

      const state = `${lab.dir}/state`;
      const route = (...a: string[]) => lab.run(ns, ["links", "route", "--state-dir", state, ...a]);

      const shown = await route();
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /links route --apply would run \(0 already in place\):/);
      assert.match(shown.stdout, /ip -4 rule add from 10\.200\.9\.2 lookup 103 priority 5000/);

      const first = await route("--apply");
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /installed 15, removed 0, 0 already in place/);

      const rules4 = JSON.parse(await ip("-j", "-4", "rule", "show")) as Rule[];
      const rules6 = JSON.parse(await ip("-j", "-6", "rule", "show")) as Rule[];
      const ours = (rs: Rule[]) =>
        rs.filter((r) => r.priority === 5000).map((r) => [r.src, r.table]);
      assert.deepEqual(ours(rules4), [["10.200.1.2", "101"], ["10.200.2.2", "102"], [
        "10.200.9.2",
        "103",
      ]]);
      assert.deepEqual(ours(rules6), [["fd00:200:1::2", "101"], ["fd00:200:2::2", "102"]]);
      const table = async (fam: string, t: number) =>
        (JSON.parse(await ip("-j", fam, "route", "show", "table", String(t))) as Route[]).map((
          r,
        ) => [r.type ?? "unicast", r.dst, r.gateway ?? r.dev ?? "", r.metric ?? 0]);
      assert.deepEqual(await table("-4", 101), [
        ["unicast", "default", "10.200.1.1", 0],
        ["unreachable", "default", "", 4000],
      ]);
      assert.deepEqual((await table("-6", 102))[0].slice(0, 3), [
        "unicast",
        "default",
        "fd00:200:2::1",
      ]);
      assert.deepEqual(await table("-4", 103), [
        ["unicast", "default", "ppp9", 0],
        ["unreachable", "default", "", 4000],
      ]);

      // The policy works: from wan2's address, the kernel picks wan2 (main would say wan1).
      const get = await ip("route", "get", "203.0.113.9", "from", "10.200.2.2");
      assert.match(get, /via 10\.200\.2\.1 dev wan2 table 102/);

      const second = await route("--apply");
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /nothing to change: 15 rules and routes already in place/);
      assert.deepEqual(JSON.parse(await ip("-j", "-4", "rule", "show")), rules4, "rules unchanged");
      assert.match((await route()).stdout, /everything is in place \(15 rules and routes\)/);

      // A link that is cut: its traffic fails instead of leaking over the other link.
      await ip("link", "set", "wan2", "down");
      const cut = await new Deno.Command("ip", {
        args: ["-n", ns, "route", "get", "203.0.113.9", "from", "10.200.2.2"],
        stderr: "piped",
        stdout: "piped",
      }).output();
      assert.ok(
        !cut.success || !/dev wan1/.test(new TextDecoder().decode(cut.stdout)),
        "no leak to wan1",
      );
      await ip("link", "set", "wan2", "up");
      await ip("route", "replace", "default", "via", "10.200.2.1", "dev", "wan2", "metric", "102");

      const removed = await route("--remove");
      assert.equal(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /removed \d+ rule\(s\) and route\(s\)/);
      assert.equal(await ip("-j", "-4", "rule", "show"), rulesBefore);
      for (const t of [101, 102, 103]) {
        for (const fam of ["-4", "-6"]) {
          const left = await new Deno.Command("ip", {
            args: ["-n", ns, "-j", fam, "route", "show", "table", String(t)],
            stdout: "piped",
            stderr: "null",
          }).output();
          // A table that no longer exists is an error ("FIB table does not exist"): empty.
          const text = left.success ? new TextDecoder().decode(left.stdout).trim() : "";
          assert.ok(text === "" || text === "[]", `table ${t} ${fam} still holds ${text}`);
        }
      }
      await assert.rejects(Deno.stat(`${state}/routes.json`), Deno.errors.NotFound);
      const again = await route("--remove");
      assert.equal(again.code, 0);
      assert.match(again.stdout, /nothing to remove/);
    } finally {
      await lab.close();
    }
  },
});
