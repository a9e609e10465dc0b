import assert from "node:assert/strict";
import {
  chatPath,
  peerDevice,
  peerPath,
  pppChatScript,
  pppdCommand,
  pppFiles,
  pppOptionsSchema,
  pppPeerFile,
} from "../../core/links/mod.ts";

const opts = (more: Record<string, unknown> = {}) =>
  pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet", ...more });

Deno.test("pppPeerFile() writes the options pppd needs for a modem on its own table", () => {
  assert.equal(
    pppPeerFile(opts()),
    [
      "# ppp1: written by bondctl links up ppp (APN internet); bondctl links down ppp1 stops it",
      "/dev/ttyUSB2",
      "115200",
      'connect "/usr/sbin/chat -v -f /etc/ppp/peers/ppp1.chat"',
      "ifname ppp1",
      "linkname ppp1",
      "noauth",
      "noipdefault",
      "# each link gets its own routing table: bondctl links route --apply",
      "nodefaultroute",
      "+ipv6",
      "noccp",
      "novj",
      "persist",
      "maxfail 0",
      "holdoff 5",
      "lcp-echo-interval 10",
      "lcp-echo-failure 6",
      "crtscts",
      "lock",
      "modem",
      "",
    ].join("\n"),
  );
});

Deno.test("pppChatScript() sets the APN's PDP context and dials *99#", () => {
  assert.equal(
    pppChatScript(opts()),
    [
      "# ppp1: dial APN internet on /dev/ttyUSB2 (written by bondctl links up ppp)",
      'ABORT "BUSY"',
      'ABORT "NO CARRIER"',
      'ABORT "NO DIALTONE"',
      'ABORT "ERROR"',
      'ABORT "NO ANSWER"',
      "TIMEOUT 30",
      '"" "AT"',
      'OK "ATE0"',
      `OK 'AT+CGDCONT=1,"IPV4V6","internet"'`,
      'OK "ATD*99***1#"',
      'CONNECT ""',
      "",
    ].join("\n"),
  );
});

// #, options, lines the peer file must hold, lines it must not, the PDP type in the chat script
const VARIANTS: [number, Record<string, unknown>, string[], string[], string][] = [
  [1, { ipType: "ipv4" }, ["nodefaultroute"], ["+ipv6", "noip"], "IP"],
  [2, { ipType: "ipv6" }, ["noip", "+ipv6"], [], "IPV6"],
  [3, { user: "web", password: "s3cret" }, ['user "web"', 'password "s3cret"'], [], "IPV4V6"],
  [
    4,
    { baud: 460800, peersDir: "/tmp/p/" },
    ["460800", 'connect "/usr/sbin/chat -v -f /tmp/p/ppp1.chat"'],
    [],
    "IPV4V6",
  ],
];

Deno.test("pppPeerFile() and pppChatScript() follow the options (table)", () => {
  for (const [n, more, has, hasNot, pdp] of VARIANTS) {
    const o = opts(more);
    const lines = pppPeerFile(o).split("\n");
    for (const l of has) assert.ok(lines.includes(l), `#${n}: "${l}" missing`);
    for (const l of hasNot) assert.ok(!lines.includes(l), `#${n}: "${l}" unexpected`);
    assert.match(pppChatScript(o), new RegExp(`CGDCONT=1,"${pdp}","internet"`), `#${n}`);
  }
});

Deno.test("pppFiles() puts both files in the peers dir; a password makes the peer file 0600", () => {
  assert.deepEqual(pppFiles(opts()).map((f) => [f.path, f.mode]), [
    ["/etc/ppp/peers/ppp1", 0o644],
    ["/etc/ppp/peers/ppp1.chat", 0o644],
  ]);
  assert.equal(pppFiles(opts({ password: "x" }))[0].mode, 0o600);
  assert.equal(
    peerPath({ name: "ppp3", peersDir: "/etc/bondctl/peers/" }),
    "/etc/bondctl/peers/ppp3",
  );
  assert.equal(chatPath({ name: "ppp3", peersDir: "/x" }), "/x/ppp3.chat");
});

Deno.test("pppdCommand() is `pppd call` in /etc/ppp/peers and `pppd file` elsewhere", () => {
  assert.deepEqual(pppdCommand(opts()), ["pppd", "call", "ppp1"]);
  assert.deepEqual(pppdCommand(opts({ peersDir: "/etc/ppp/peers/" })), ["pppd", "call", "ppp1"]);
  assert.deepEqual(pppdCommand(opts({ peersDir: "/tmp/t" })), ["pppd", "file", "/tmp/t/ppp1"]);
});

// #, options, the message must say
const REFUSED: [number, Record<string, unknown>, RegExp][] = [
  [1, { name: "1ppp" }, /--name must be an interface name/],
  [2, { name: "ppp1; rm -rf /" }, /--name/],
  [3, { name: "a234567890123456" }, /--name/],
  [4, { device: "ttyUSB2" }, /--device must be a serial device path/],
  [5, { device: "/dev/../etc/passwd" }, /--device may not contain '\.\.'/],
  [6, { device: "/dev/tty USB2" }, /--device/],
  [7, { apn: "" }, /--apn must be an APN/],
  [8, { apn: 'internet"\nconnect "/bin/sh' }, /--apn/],
  [9, { apn: "-internet" }, /--apn/],
  [10, { user: 'a"b' }, /--user may not contain quotes/],
  [11, { password: "two words" }, /--password may hold printable characters only/],
  [12, { password: "x".repeat(65) }, /--password is longer than 64/],
  [13, { baud: 12 }, /baud|>=300/i],
  [14, { ipType: "ipx" }, /ipv4/],
];

Deno.test("pppOptionsSchema refuses what could break or inject into the files (table)", () => {
  for (const [n, more, message] of REFUSED) {
    const r = pppOptionsSchema.safeParse({
      name: "ppp1",
      device: "/dev/ttyUSB2",
      apn: "internet",
      ...more,
    });
    assert.equal(r.success, false, `#${n} should be refused`);
    assert.match(r.error!.issues[0].message, message, `#${n}: ${r.error!.issues[0].message}`);
  }
});

Deno.test("peerDevice() finds the tty a peer file dials", () => {
  assert.equal(peerDevice(pppPeerFile(opts())), "ttyUSB2");
  assert.equal(peerDevice("# none\nnoauth\n"), undefined);
});
