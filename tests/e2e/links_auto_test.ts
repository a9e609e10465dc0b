/**
 * `send --link auto` over real kernel links: two network namespaces (client and server)
 * joined by three veth pairs (10.200.1-3.0/24), a default route per link and policy routing
 * installed by `bondctl links route --apply` on the client side. The receiver listens on
 * 10.200.0.1 (the server's loopback), the sender discovers its links. Mid-stream a fourth
 * link appears, one is deleted, and one changes its address; the output's SHA-256 must equal
 * the input's, and the sender must have logged each join, leave and rejoin.
 * Skips with a printed reason without root or `ip netns`.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { NetnsLab, netnsSupport, type NsProc, sh, vethLink } from "../links/_netns.ts";

const support = await netnsSupport();
if (!support.ok) console.log(`skip: links_auto_test needs network namespaces: ${support.why}`);

const MiB = 1024 * 1024;
const TOTAL = 8 * MiB;
const CHUNK = 64 * 1024;
/** The input is paced so that the transfer lasts a few seconds and the changes land mid-stream. */
const RATE = 2.5 * MiB;

Deno.test({
  name: "send --link auto follows links that appear, vanish and change address, losing nothing",
  ignore: !support.ok,
  async fn() {
    const lab = await NetnsLab.open("auto");
    try {
      const client = await lab.namespace("c");
      const server = await lab.namespace("s");
      await sh("ip", "-n", server, "addr", "add", "10.200.0.1/32", "dev", "lo");
      for (const x of [1, 2, 3]) await vethLink(client, server, `wan${x}`, `srv${x}`, x);
      const stateDir = `${lab.dir}/state`;
      const route = async () => {
        const r = await lab.run(client, ["links", "route", "--apply", "--state-dir", stateDir]);
        assert.equal(r.code, 0, `links route --apply failed:\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
      };
      await route();

      const token = `${lab.dir}/token`;
      await Deno.writeTextFile(token, `links-auto-${crypto.randomUUID()}\n`);
      const out = `${lab.dir}/out.bin`;
      const receiver = lab.spawn(server, [
        "receive",
        "--listen",
        "10.200.0.1:0",
        "--self-signed",
        "--token-file",
        token,
        "--output",
        out,
        "--once",
      ]);
      const pin = (await receiver.waitFor(/--pin (sha256:[0-9a-f]{64})/))[1];
      const port = (await receiver.waitFor(/listening on .*:(\d+)$/))[1];
      const sender = lab.spawn(client, [
        "send",
        "--server",
        `10.200.0.1:${port}`,
        "--pin",
        pin,
        "--token-file",
        token,
        "--link",
        "auto",
        "--link",
        "wan2,cost=2",
      ], { stdin: "piped" });
      await sender.waitFor(/session [0-9a-f]+ open/);
      for (const x of [1, 2, 3]) {
        await sender.waitFor(new RegExp(`link \\d+ \\(wan${x}\\)( joined|; server buffer)`));
      }
      assert.ok(
        sender.lines.some((l) => /link \d+ \(wan2\) found: ethernet 10\.200\.2\.2, cost 2/.test(l)),
        `wan2 should carry cost 2 from --link wan2,cost=2:\n${sender.lines.join("\n")}`,
      );

      // Mid-stream changes, each waited for before the input goes on.
      const steps: [atBytes: number, what: string, act: () => Promise<void>][] = [
        [2 * MiB, "a fourth link appears", async () => {
          await vethLink(client, server, "wan4", "srv4", 4);
          await route();
          await sender.waitFor(/link \d+ \(wan4\) joined/, 15_000);
        }],
        [4 * MiB, "a link vanishes", async () => {
          await sh("ip", "-n", client, "link", "del", "wan1");
          await sender.waitFor(/link \d+ \(wan1\) left: the interface is gone/, 15_000);
        }],
        [5 * MiB, "a link changes its address", async () => {
          // New address and route first, so that the link never looks unusable in between.
          await sh("ip", "-n", server, "addr", "add", "10.200.13.1/24", "dev", "srv3");
          await sh("ip", "-n", client, "addr", "add", "10.200.13.2/24", "dev", "wan3");
          await sh(
            "ip",
            "-n",
            client,
            "route",
            "add",
            "default",
            "via",
            "10.200.13.1",
            "dev",
            "wan3",
            "metric",
            "113",
          );
          await sh("ip", "-n", client, "addr", "del", "10.200.3.2/24", "dev", "wan3");
          await route();
          await sender.waitFor(
            /link \d+ \(wan3\) moved from 10\.200\.3\.2 to 10\.200\.13\.2/,
            15_000,
          );
        }],
      ];
      const digest = await feed(sender, async (written) => {
        while (steps.length && written >= steps[0][0]) {
          const [, what, act] = steps.shift()!;
          console.log(`  at ${(written / MiB).toFixed(1)} MiB: ${what}`);
          await act();
        }
      });
      const [s, r] = await Promise.all([sender.done, receiver.done]);
      assert.equal(s.code, 0, `sender failed:\n${s.stderr}`);
      assert.equal(r.code, 0, `receiver failed:\n${r.stderr}`);
      const outHash = createHash("sha256").update(await Deno.readFile(out)).digest("hex");
      assert.equal(outHash, digest, "the output's SHA-256 differs from the input's");
      const joinsOf = (name: string) =>
        s.stderr.match(new RegExp(`link \\d+ \\(${name}\\) joined`, "g"))?.length ?? 0;
      assert.ok(joinsOf("wan3") >= 2, `wan3 should have joined again:\n${s.stderr}`);
      assert.match(s.stderr, /link \d+ \(wan4\) appeared: ethernet 10\.200\.4\.2; joining/);
      // The routing the second and third --apply left: wan4's rule, wan3's new one only.
      const rules = await sh("ip", "-n", client, "-4", "rule", "show");
      assert.match(rules, /from 10\.200\.4\.2 lookup 10\d/);
      assert.match(rules, /from 10\.200\.13\.2 lookup 10\d/);
      assert.doesNotMatch(rules, /from 10\.200\.3\.2 /);
    } finally {
      await lab.close();
    }
  },
});

/** Writes TOTAL random bytes at about RATE, calling `at` after each chunk; returns the SHA-256. */
async function feed(p: NsProc, at: (written: number) => Promise<void>): Promise<string> {
  const w = p.child.stdin.getWriter();
  const hash = createHash("sha256");
  const start = performance.now();
  let written = 0;
  let paused = 0;
  while (written < TOTAL) {
    const piece = new Uint8Array(Math.min(CHUNK, TOTAL - written));
    crypto.getRandomValues(piece);
    hash.update(piece);
    await w.write(piece);
    written += piece.length;
    const t0 = performance.now();
    await at(written);
    paused += performance.now() - t0;
    const due = start + paused + (written / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await w.close();
  return hash.digest("hex");
}
