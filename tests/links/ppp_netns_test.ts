/**
 * `links up ppp` and `links down` for real, except for the modem: a stand-in `pppd` (a shell
 * script first on PATH) records its arguments and, like pppd, goes to the background, brings
 * up an interface named by the peer file's `ifname` after a second, gives it a point-to-point
 * address, writes its pid file, and removes the interface on SIGTERM. All of it inside a
 * network namespace the test creates and removes. Skips without root/netns.
 * @module
 */
import assert from "node:assert/strict";
import { pppChatScript, pppOptionsSchema, pppPeerFile } from "../../core/links/mod.ts";
import { NetnsLab, netnsSupport, sh } from "./_netns.ts";

const support = await netnsSupport();
if (!support.ok) console.log(`skip: ppp_netns_test needs network namespaces: ${support.why}`);

const FAKE_PPPD = `#!/bin/sh
# A stand-in for pppd (no modem here): see tests/links/ppp_netns_test.ts.
if [ "$1" = daemon ]; then
  ifname=$2
  trap 'ip link del "$ifname" 2>/dev/null; rm -f "$RUN_DIR/$ifname.pid"; exit 0' TERM
  echo $$ > "$RUN_DIR/$ifname.pid"
  [ -n "$FAKE_NEVER" ] && while :; do sleep 0.2; done
  sleep 1
  ip link add "$ifname" type veth peer name "\${ifname}p"
  ip link set "\${ifname}p" up
  ip link set "$ifname" up
  sleep 0.5
  ip addr add 10.64.64.64 peer 10.112.112.112/32 dev "$ifname"
  while :; do sleep 0.2; done
fi
printf '%s\\n' "$*" > "$RUN_DIR/pppd.args"
ifname=$(sed -n 's/^ifname //p' "$2")
sh "$0" daemon "$ifname" </dev/null >/dev/null 2>&1 &
exit 0
`;

Deno.test({
  name: "links up ppp writes the peer files, starts pppd, waits for the link; links down stops it",
  ignore: !support.ok,
  async fn() {
    const lab = await NetnsLab.open("ppp");
    try {
      const ns = await lab.namespace("p");
      const bin = `${lab.dir}/bin`;
      const run = `${lab.dir}/run`;
      const peers = `${lab.dir}/peers`;
      await Deno.mkdir(bin);
      await Deno.mkdir(run);
      await Deno.writeTextFile(`${bin}/pppd`, FAKE_PPPD, { mode: 0o755 });
      const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, RUN_DIR: run };
      const up = await lab.run(ns, [
        "links",
        "up",
        "ppp",
        "--device",
        "/dev/ttyUSB2",
        "--apn",
        "internet",
        "--name",
        "ppp1",
        "--via",
        "pppd",
        "--peers-dir",
        peers,
        "--timeout",
        "15s",
      ], env);
      assert.equal(up.code, 0, up.stderr);
      const o = pppOptionsSchema.parse({
        name: "ppp1",
        device: "/dev/ttyUSB2",
        apn: "internet",
        peersDir: peers,
      });
      assert.equal(await Deno.readTextFile(`${peers}/ppp1`), pppPeerFile(o));
      assert.equal(await Deno.readTextFile(`${peers}/ppp1.chat`), pppChatScript(o));
      assert.equal((await Deno.readTextFile(`${run}/pppd.args`)).trim(), `file ${peers}/ppp1`);
      assert.match(up.stderr, new RegExp(`running pppd file ${peers}/ppp1`));
      assert.match(up.stderr, /ppp1: waiting for the interface \(0 s of 15 s\)/);
      assert.match(up.stderr, /ppp1 is up: 10\.64\.64\.64 peer 10\.112\.112\.112/);

      // Discovery sees it as a ppp link; a second `up` refuses.
      const scan = await lab.run(ns, ["links", "scan", "--json", "--peers-dir", peers]);
      assert.equal(scan.code, 0, scan.stderr);
      const ppp1 = JSON.parse(scan.stdout).links.find((l: { name: string }) => l.name === "ppp1");
      assert.equal(ppp1?.kind, "ppp");
      const twice = await lab.run(ns, [
        "links",
        "up",
        "ppp",
        "--device",
        "/dev/ttyUSB2",
        "--apn",
        "internet",
        "--name",
        "ppp1",
        "--via",
        "pppd",
        "--peers-dir",
        peers,
      ], env);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /ppp1 is already up: bondctl links down ppp1 first/);

      const dry = await lab.run(ns, ["links", "down", "ppp1", "--run-dir", run, "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        new RegExp(`would send SIGTERM to pppd \\(pid \\d+, from ${run}/ppp1.pid\\)`),
      );
      const down = await lab.run(ns, ["links", "down", "ppp1", "--run-dir", run]);
      assert.equal(down.code, 0, down.stderr);
      assert.match(down.stderr, /ppp1 is down/);
      assert.doesNotMatch(await sh("ip", "-n", ns, "link", "show"), /ppp1/);
      const again = await lab.run(ns, ["links", "down", "ppp1", "--run-dir", run]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /bondctl: error: nothing to stop for ppp1: no pppd pid file/);
    } finally {
      await lab.close();
    }
  },
});

Deno.test({
  name: "links up ppp gives up after --timeout with what it saw, and says how to stop pppd",
  ignore: !support.ok,
  async fn() {
    const lab = await NetnsLab.open("pppt");
    try {
      const ns = await lab.namespace("t");
      const bin = `${lab.dir}/bin`;
      const run = `${lab.dir}/run`;
      await Deno.mkdir(bin);
      await Deno.mkdir(run);
      await Deno.writeTextFile(`${bin}/pppd`, FAKE_PPPD, { mode: 0o755 });
      const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, RUN_DIR: run, FAKE_NEVER: "1" };
      const up = await lab.run(ns, [
        "links",
        "up",
        "ppp",
        "--device",
        "/dev/ttyUSB3",
        "--apn",
        "web.provider.net",
        "--name",
        "ppp2",
        "--via",
        "pppd",
        "--peers-dir",
        `${lab.dir}/peers`,
        "--timeout",
        "2s",
      ], env);
      assert.equal(up.code, 1);
      assert.match(
        up.stderr,
        /bondctl: error: ppp2 did not come up within 2 s \(no interface yet\): pppd keeps trying .*bondctl links down ppp2 stops it/,
      );
      const down = await lab.run(ns, [
        "links",
        "down",
        "ppp2",
        "--run-dir",
        run,
        "--timeout",
        "2s",
      ]);
      assert.equal(down.code, 0, down.stderr);
    } finally {
      await lab.close();
    }
  },
});
