import assert from "node:assert/strict";
import {
  mmcliFailure,
  parseBearer,
  parseModem,
  parseModemList,
  ToolOutputError,
} from "../../core/links/mod.ts";
import { fixture } from "./_fixtures.ts";

Deno.test("parseModemList() turns object paths into indices", () => {
  assert.deepEqual(parseModemList(fixture("mmcli/list.json")), [0, 1]);
  assert.deepEqual(parseModemList(fixture("mmcli/list-empty.json")), []);
});

Deno.test("parseModem() reads operator, technology, signal, ports and bearers", () => {
  assert.deepEqual(parseModem(fixture("mmcli/modem-0.json")), {
    index: 0,
    manufacturer: "QUALCOMM INCORPORATED",
    model: "QUECTEL Mobile Broadband Module",
    state: "connected",
    provider: "Movistar",
    technology: "lte",
    signal: 67,
    ports: [
      { name: "cdc-wdm0", type: "qmi" },
      { name: "ttyUSB0", type: "qcdm" },
      { name: "ttyUSB1", type: "gps" },
      { name: "ttyUSB2", type: "at" },
      { name: "ttyUSB3", type: "at" },
      { name: "wwan0", type: "net" },
    ],
    bearers: [0],
  });
});

Deno.test("parseModem() falls back to the operator code and joins technologies", () => {
  const m = parseModem(fixture("mmcli/modem-1.json"));
  assert.equal(m.provider, "21401", "operator-name is -- here");
  assert.equal(m.technology, "umts,hsdpa");
  assert.equal(m.signal, 42);
  assert.deepEqual(m.bearers, []);
});

Deno.test("parseBearer() reads the static IP configuration and the interface", () => {
  const b = parseBearer(fixture("mmcli/bearer-0.json"));
  assert.equal(b.index, 0);
  assert.equal(b.connected, true);
  assert.equal(b.interface, "wwan0");
  assert.deepEqual(b.ipv4, {
    method: "static",
    address: "10.64.12.7",
    prefix: 30,
    gateway: "10.64.12.8",
    mtu: 1500,
    dns: ["10.11.12.13", "10.11.12.14"],
  });
  assert.equal(b.ipv6?.prefix, 64);
  const ppp = parseBearer(fixture("mmcli/bearer-ppp.json"));
  assert.equal(ppp.ipv4?.method, "ppp");
  assert.equal(ppp.ipv6, undefined, "method -- means no config");
});

// #, input, message
const BROKEN: [number, () => unknown, RegExp][] = [
  [1, () => parseModemList("{}"), /^mmcli -L -J: unexpected output at modem-list/],
  [2, () => parseModemList('{"modem-list":["/x/y"]}'), /not a ModemManager object path/],
  [3, () => parseModem('{"modem":{"dbus-path":"/a/0"}}'), /^mmcli -m N -J: .*modem\.generic/],
  [
    4,
    () =>
      parseModem(
        '{"modem":{"dbus-path":"/a/0","generic":{"signal-quality":{"value":"140"}}}}',
      ),
    /signal-quality "140" is not 0\.\.100/,
  ],
  [5, () => parseBearer('{"bearer":{"dbus-path":"/b/1"}}'), /^mmcli -b N -J: .*bearer\.status/],
  [6, () => parseModem("mmcli: unknown option -J"), /^mmcli -m N -J: output is not JSON/],
];

Deno.test("mmcli parsers reject malformed output, naming the tool (table)", () => {
  for (const [n, run, message] of BROKEN) {
    assert.throws(run, (e: unknown) => {
      assert.ok(e instanceof ToolOutputError, `#${n}: ${e}`);
      assert.match(e.message, message, `#${n}: ${e.message}`);
      return true;
    });
  }
});

Deno.test("mmcliFailure() tells 'ModemManager not running' from other errors", () => {
  assert.deepEqual(mmcliFailure(fixture("mmcli/not-running.txt")), {
    status: "not-running",
    detail: "ModemManager is not running",
  });
  assert.deepEqual(mmcliFailure("error: invalid modem index\nmore"), {
    status: "failed",
    detail: "error: invalid modem index",
  });
});
