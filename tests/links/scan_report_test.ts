import assert from "node:assert/strict";
import { probeCell, type ProbeResult, scanJson, scanTable } from "../../core/links/mod.ts";
import { box } from "./_fixtures.ts";

Deno.test("scanTable() shows every column, the left-out interfaces and the tools' notes", () => {
  const lines = scanTable(
    box({
      tools: [{
        tool: "mmcli",
        status: "not-installed",
        detail: "no operator, technology or signal",
      }],
    }),
  );
  assert.match(
    lines[0],
    /^NAME\s+KIND\s+STATE\s+ADDRESSES\s+GATEWAY\s+MTU\s+PROVIDER\s+TECH\s+SIGNAL$/,
  );
  const row = (n: string) => lines.find((l) => l.startsWith(n + " "))!;
  assert.match(
    row("wwan0"),
    /wwan\s+up\s+10\.64\.12\.7\/30, 2a01:599:112:7c3e:48a1:33ff:fe20:91d4\/64\s+10\.64\.12\.8, fe80::3c1a:22ff:fe91:7\s+1500\s+Movistar\s+lte\s+67%/,
  );
  assert.match(
    row("ppp0"),
    /ppp\s+up\s+10\.112\.34\.56 peer 10\.64\.64\.64\s+\(point-to-point\)\s+1500\s+21401\s+umts,hsdpa\s+42%/,
  );
  assert.match(
    row("eth0"),
    /ethernet\s+up\s+192\.168\.1\.50\/24, .*192\.168\.1\.1, fe80::1\s+1500\s+-\s+-\s+-$/,
  );
  assert.ok(lines.includes(
    "left out: lo (loopback), docker0 (no carrier (cable or radio down)), " +
      "eth1 (no carrier (cable or radio down)), tun0 (not a WAN link (tun interface))",
  ));
  assert.ok(lines.includes("mmcli: not installed (no operator, technology or signal)"));
  // Columns line up: every row's KIND starts where the header's does.
  const at = lines[0].indexOf("KIND");
  for (const l of lines.slice(1, 7)) {
    assert.match(l.slice(at), /^(ethernet|wifi|usb-ethernet|wwan|ppp)\s/);
  }
});

Deno.test("scanTable() says so when no link is usable", () => {
  const lines = scanTable({
    links: [],
    excluded: [],
    tools: [{ tool: "ip", status: "not-installed", detail: "install iproute2" }],
  });
  assert.deepEqual(lines, [
    "no usable link: every interface is down, has no address or no route out",
    "ip: not installed (install iproute2)",
  ]);
});

const probes: ProbeResult[] = [
  { name: "eth0", family: 4, localAddress: "192.168.1.50", outcome: "ok", ms: 23.4 },
  {
    name: "wwan0",
    family: 4,
    localAddress: "10.64.12.7",
    outcome: "unverified",
    ms: 181.6,
    detail: "no --pin or --ca: the handshake was timed but the server was not verified",
  },
  {
    name: "ppp0",
    family: 4,
    localAddress: "10.112.34.56",
    outcome: "failed",
    detail: "cannot reach relay:7443 from 10.112.34.56: ETIMEDOUT",
  },
];

Deno.test("scanTable() adds the TLS handshake column and explains unverified or failed probes", () => {
  const lines = scanTable(box(), probes);
  assert.match(lines[0], /SIGNAL\s+TLS HANDSHAKE$/);
  assert.match(lines.find((l) => l.startsWith("eth0 "))!, /23 ms$/);
  assert.match(lines.find((l) => l.startsWith("wwan0 "))!, /182 ms \(unverified\)$/);
  assert.match(lines.find((l) => l.startsWith("ppp0 "))!, /failed$/);
  assert.match(lines.find((l) => l.startsWith("wlan0 "))!, /-$/);
  assert.ok(lines.includes("probe ppp0: cannot reach relay:7443 from 10.112.34.56: ETIMEDOUT"));
  assert.ok(lines.some((l) => l.startsWith("probe wwan0: no --pin or --ca")));
});

Deno.test("scanJson() carries links with their probe, the left-out and the tools", () => {
  const j = JSON.parse(JSON.stringify(scanJson(box(), probes)));
  assert.equal(j.links.length, 6);
  assert.equal(j.links[0].name, "eth0");
  assert.equal(j.links[0].probe.ms, 23.4);
  assert.equal(j.links[1].probe, undefined);
  assert.deepEqual(j.excluded.map((x: { name: string }) => x.name), [
    "lo",
    "docker0",
    "eth1",
    "tun0",
  ]);
  assert.deepEqual(j.tools, [{ tool: "mmcli", status: "ok" }]);
  assert.equal(probeCell(undefined), "-");
});
