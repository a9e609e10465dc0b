/**
 * `links scan --probe` over real kernel links: a client namespace with two veth links to a
 * server namespace running `bondctl receive`; the probe times a TCP + TLS handshake through
 * each link, verified with --pin, unverified without (or with a wrong pin, said so), and
 * failed towards a port nobody listens on. Skips without root/netns.
 * @module
 */
import assert from "node:assert/strict";
import { NetnsLab, netnsSupport, sh, vethLink } from "../links/_netns.ts";

const support = await netnsSupport();
if (!support.ok) console.log(`skip: links_probe_test needs network namespaces: ${support.why}`);

Deno.test({
  name: "links scan --probe times the TLS handshake through each link, verified or not",
  ignore: !support.ok,
  async fn() {
    const lab = await NetnsLab.open("probe");
    try {
      const client = await lab.namespace("c");
      const server = await lab.namespace("s");
      await sh("ip", "-n", server, "addr", "add", "10.200.0.1/32", "dev", "lo");
      for (const x of [1, 2]) await vethLink(client, server, `wan${x}`, `srv${x}`, x);
      const token = `${lab.dir}/token`;
      await Deno.writeTextFile(token, "probe-token\n");
      const receiver = lab.spawn(server, [
        "receive",
        "--listen",
        "10.200.0.1:0",
        "--self-signed",
        "--token-file",
        token,
        "--output",
        `${lab.dir}/out`,
      ]);
      const pin = (await receiver.waitFor(/--pin (sha256:[0-9a-f]{64})/))[1];
      const port = (await receiver.waitFor(/listening on .*:(\d+)$/))[1];
      const to = `10.200.0.1:${port}`;
      const [pinned, bare, wrong, closed] = await Promise.all([
        lab.run(client, ["links", "scan", "--probe", to, "--pin", pin]),
        lab.run(client, ["links", "scan", "--probe", to, "--json"]),
        lab.run(client, ["links", "scan", "--probe", to, "--pin", `sha256:${"0".repeat(64)}`]),
        lab.run(client, ["links", "scan", "--probe", "10.200.0.1:9", "--probe-timeout", "2s"]),
      ]);
      for (const r of [pinned, bare, wrong, closed]) assert.equal(r.code, 0, r.stderr);
      assert.match(pinned.stdout, /SIGNAL\s+TLS HANDSHAKE/);
      for (const x of [1, 2]) {
        assert.match(pinned.stdout, new RegExp(`^wan${x} .* \\d+ ms$`, "m"), pinned.stdout);
        assert.match(wrong.stdout, new RegExp(`^wan${x} .* \\d+ ms \\(unverified\\)$`, "m"));
        assert.match(closed.stdout, new RegExp(`^wan${x} .* failed$`, "m"));
      }
      assert.match(
        wrong.stdout,
        /probe wan1: handshake done but the server failed verification: .*pin/,
      );
      assert.match(
        closed.stdout,
        /probe wan1: connection refused by 10\.200\.0\.1:9 from 10\.200\.1\.2/,
      );
      const json = JSON.parse(bare.stdout);
      for (const l of json.links) {
        assert.equal(l.probe.outcome, "unverified");
        assert.ok(l.probe.ms > 0);
        assert.match(l.probe.detail, /no --pin or --ca/);
      }
      assert.deepEqual(
        json.links.map((l: { probe: { localAddress: string } }) => l.probe.localAddress),
        [
          "10.200.1.2",
          "10.200.2.2",
        ],
      );
      assert.match(bare.stderr, /probing 10\.200\.0\.1:\d+ through 2 link\(s\) \(no --pin or --ca/);
    } finally {
      await lab.close();
    }
  },
});
