import assert from "node:assert/strict";
import {
  bearerAddressCommands,
  BringUpError,
  chooseMethod,
  describeUp,
  describeWait,
  looksLikePppd,
  type ModemInfo,
  NotRootError,
  parseBearer,
  parseIpAddrs,
  parseModem,
  parsePidFile,
  planDown,
  planModemManagerUp,
  planPppUp,
  pppOptionsSchema,
  requireRoot,
  showCommand,
  showFileContent,
  upPhase,
} from "../../core/links/mod.ts";
import { fixture } from "./_fixtures.ts";

const modems: ModemInfo[] = [
  parseModem(fixture("mmcli/modem-0.json")),
  parseModem(fixture("mmcli/modem-1.json")),
];
const opts = (more: Record<string, unknown> = {}) =>
  pppOptionsSchema.parse({ name: "ppp1", device: "/dev/ttyUSB2", apn: "internet", ...more });

// #, --via, device, modems (null: mmcli unavailable), method, modem, why
const CHOICES: [
  number,
  "auto" | "pppd" | "modemmanager",
  string,
  ModemInfo[] | null,
  string,
  number | undefined,
  RegExp,
][] = [
  [
    1,
    "auto",
    "/dev/ttyUSB2",
    modems,
    "modemmanager",
    0,
    /ModemManager manages ttyUSB2 \(modem 0\)/,
  ],
  [2, "auto", "/dev/ttyUSB6", modems, "modemmanager", 1, /modem 1/],
  [3, "auto", "/dev/ttyACM0", modems, "pppd", undefined, /no ModemManager modem owns ttyACM0/],
  [4, "auto", "/dev/ttyUSB2", null, "pppd", undefined, /pppd \(mmcli: not installed\)/],
  [5, "pppd", "/dev/ttyUSB2", modems, "pppd", undefined, /--via pppd/],
  [6, "modemmanager", "/dev/ttyUSB3", modems, "modemmanager", 0, /--via modemmanager/],
];

Deno.test("chooseMethod() picks ModemManager where it owns the port, else pppd (table)", () => {
  for (const [n, via, device, ms, method, modem, why] of CHOICES) {
    const c = chooseMethod(via, device, ms, "mmcli: not installed");
    assert.equal(c.method, method, `#${n}`);
    assert.equal(c.modem, modem, `#${n}`);
    assert.match(c.why, why, `#${n}: ${c.why}`);
  }
  assert.throws(
    () => chooseMethod("modemmanager", "/dev/ttyACM0", modems),
    /no ModemManager modem has the port ttyACM0.*use --via pppd/,
  );
  assert.throws(
    () => chooseMethod("modemmanager", "/dev/ttyACM0", null, "mmcli: not running"),
    /--via modemmanager: mmcli: not running/,
  );
});

Deno.test("planPppUp() writes two files and runs pppd", () => {
  const plan = planPppUp(
    opts({ peersDir: "/tmp/peers" }),
    "pppd: no ModemManager modem owns ttyUSB2",
  );
  assert.equal(plan.method, "pppd");
  assert.equal(plan.interfaceName, "ppp1");
  assert.deepEqual(plan.files.map((f) => f.path), ["/tmp/peers/ppp1", "/tmp/peers/ppp1.chat"]);
  assert.deepEqual(plan.commands, [["pppd", "file", "/tmp/peers/ppp1"]]);
});

Deno.test("planModemManagerUp() runs --simple-connect and waits for the modem's net port", () => {
  const plan = planModemManagerUp(opts({ user: "u", password: "p" }), modems[0], "why");
  assert.deepEqual(plan.commands, [[
    "mmcli",
    "-m",
    "0",
    "--simple-connect=apn=internet,ip-type=ipv4v6,user=u,password=p",
  ]]);
  assert.equal(plan.interfaceName, "wwan0");
  assert.deepEqual(plan.files, []);
  assert.match(plan.notes[1], /the link will be wwan0 .*not ppp1/);
  assert.equal(planModemManagerUp(opts(), modems[1], "why").interfaceName, undefined);
});

Deno.test("bearerAddressCommands() puts a static bearer's addresses on its interface", () => {
  const bearer = parseBearer(fixture("mmcli/bearer-0.json"));
  assert.deepEqual(bearerAddressCommands(bearer, []), {
    interfaceName: "wwan0",
    commands: [
      ["ip", "link", "set", "wwan0", "up"],
      ["ip", "link", "set", "dev", "wwan0", "mtu", "1500"],
      ["ip", "-4", "addr", "add", "10.64.12.7/30", "dev", "wwan0"],
      ["ip", "-6", "addr", "add", "2a01:599:112:7c3e:48a1:33ff:fe20:91d4/64", "dev", "wwan0"],
    ],
    warnings: [],
  });
  // Already there (a second `links up`): not added twice.
  const present = parseIpAddrs(fixture("ip/addr.json"));
  assert.deepEqual(bearerAddressCommands(bearer, present).commands, [
    ["ip", "link", "set", "wwan0", "up"],
    ["ip", "link", "set", "dev", "wwan0", "mtu", "1500"],
  ]);
  assert.throws(
    () => bearerAddressCommands(parseBearer(fixture("mmcli/bearer-ppp.json")), []),
    (e: unknown) => e instanceof BringUpError && /--via pppd/.test(e.message),
  );
  const dhcp = { ...bearer, ipv6: undefined, ipv4: { method: "dhcp" as const, dns: [] } };
  assert.deepEqual(bearerAddressCommands(dhcp, []).warnings, [
    "wwan0 gets its IPv4 address by DHCP: run a DHCP client on wwan0",
  ]);
});

Deno.test("upPhase() and describeWait() follow an interface coming up", () => {
  const addrs = parseIpAddrs(fixture("ip/addr.json"));
  assert.equal(upPhase("ppp1", null).phase, "no-interface");
  assert.equal(upPhase("eth1", addrs).phase, "no-address");
  const up = upPhase("ppp0", addrs);
  assert.equal(up.phase, "up");
  assert.equal(describeUp("ppp0", up.addresses), "ppp0 is up: 10.112.34.56 peer 10.64.64.64");
  assert.equal(
    describeWait("ppp1", "no-interface", 4200, 60000),
    "ppp1: waiting for the interface (4 s of 60 s)",
  );
  assert.equal(
    describeWait("ppp1", "no-address", 10_000, 60000),
    "ppp1: interface is there, waiting for its address (10 s of 60 s)",
  );
});

// #, pid file text, /proc cmdline, modems, expected plan or error
const DOWNS: [number, string | undefined, string | undefined, ModemInfo[] | null, unknown][] = [
  [1, "4242\n", "/usr/sbin/pppd\0call\0ppp1\0", null, {
    method: "pppd",
    pid: 4242,
    pidFile: "/run/ppp1.pid",
  }],
  [2, "4242\nppp1\n", "sh\0/tmp/bin/pppd\0file\0x\0", null, {
    method: "pppd",
    pid: 4242,
    pidFile: "/run/ppp1.pid",
  }],
  [
    3,
    "4242\n",
    "/usr/bin/vim\0notes\0",
    null,
    /names pid 4242, which is not pppd \(a stale pid file\)/,
  ],
  [4, "4242\n", undefined, null, /no longer running: ppp1 is already down/],
  [5, "garbage", undefined, null, /holds no pid/],
  [6, "1\n", "/sbin/init\0", null, /holds no pid/],
  [
    7,
    undefined,
    undefined,
    null,
    /nothing to stop for ppp1: no pppd pid file \/run\/ppp1\.pid and no ModemManager modem/,
  ],
];

Deno.test("planDown() stops the pppd of the pid file, and refuses stale or foreign pids (table)", () => {
  for (const [n, pidText, cmdline, ms, want] of DOWNS) {
    const run = () => planDown("ppp1", { pidFile: "/run/ppp1.pid", pidText, cmdline, modems: ms });
    if (want instanceof RegExp) {
      assert.throws(
        run,
        (e: unknown) => e instanceof BringUpError && want.test(e.message),
        `#${n}`,
      );
    } else assert.deepEqual(run(), want, `#${n}`);
  }
});

Deno.test("planDown() disconnects a ModemManager modem by its net port", () => {
  assert.deepEqual(planDown("wwan0", { pidFile: "/run/wwan0.pid", modems }), {
    method: "modemmanager",
    modem: 0,
    commands: [
      ["mmcli", "-m", "0", "--simple-disconnect"],
      ["ip", "addr", "flush", "dev", "wwan0", "scope", "global"],
    ],
  });
});

Deno.test("parsePidFile(), looksLikePppd(), showCommand() and showFileContent()", () => {
  assert.equal(parsePidFile("  17\n"), 17);
  assert.equal(parsePidFile("17 18\n"), undefined);
  assert.equal(parsePidFile("17"), 17);
  assert.equal(looksLikePppd("pppd\0call\0x"), true);
  assert.equal(looksLikePppd("/usr/sbin/pppdx\0"), false);
  assert.equal(
    showCommand(["mmcli", "-m", "0", "--simple-connect=apn=x,password=s3cret,user=u"]),
    "mmcli -m 0 --simple-connect=apn=x,password=***,user=u",
  );
  assert.equal(showCommand(["sh", "-c", "echo it's"]), `sh -c 'echo it'\\''s'`);
  assert.equal(
    showFileContent('noauth\npassword "s3cret"\nnovj\n'),
    'noauth\npassword "***"\nnovj\n',
  );
});

Deno.test("requireRoot() refuses without root, saying what to do instead", () => {
  assert.doesNotThrow(() => requireRoot(0, "links route --apply changes the routing tables"));
  assert.throws(
    () =>
      requireRoot(
        1000,
        "links route --apply changes the routing tables",
        "leave out --apply to see the plan",
      ),
    (e: unknown) =>
      e instanceof NotRootError &&
      e.message ===
        "links route --apply changes the routing tables: run it as root (sudo bondctl ...), or leave out --apply to see the plan",
  );
  assert.throws(() => requireRoot(null, "links up"), NotRootError, "no uid (Windows) is not root");
});
