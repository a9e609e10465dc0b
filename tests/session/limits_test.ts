// Tests of the relay's admission (core/session/limits.ts) and its log throttle
// (core/session/log_throttle.ts), as numbered tables of steps.

import assert from "node:assert/strict";
import { Admission, DEFAULT_LIMITS, type ServerLimits } from "../../core/session/limits.ts";
import { LogThrottle } from "../../core/session/log_throttle.ts";

const MiB = 1024 * 1024;
const LIMITS: ServerLimits = {
  ...DEFAULT_LIMITS,
  maxSessions: 3,
  maxSessionsPerClient: 2,
  maxBufferBytes: 4 * MiB,
  maxBufferTotalBytes: 100 * MiB,
};

type Step = [n: number, action: "admit" | "close", client: string, expect: RegExp | "ok"];

const SESSIONS: Step[] = [
  [1, "admit", "a", "ok"],
  [2, "admit", "a", "ok"],
  [3, "admit", "a", /client a is at its session limit \(2, --max-sessions-per-client\)/],
  [4, "admit", "b", "ok"],
  [5, "admit", "c", /the server is at its session limit \(3, --max-sessions\)/],
  [6, "close", "a", "ok"],
  [7, "admit", "c", "ok"],
  [8, "close", "zz", "ok"], // a client with no session: nothing changes
  [9, "admit", "a", /--max-sessions\)/],
];

Deno.test("Admission counts sessions per server and per client", () => {
  const a = new Admission(LIMITS);
  for (const [n, action, client, expect] of SESSIONS) {
    if (action === "close") {
      a.closed(client);
      continue;
    }
    const v = a.admitSession(client);
    if (expect === "ok") {
      assert.ok(v.ok, `step ${n}: ${JSON.stringify(v)}`);
      a.opened(client);
    } else {
      assert.ok(!v.ok, `step ${n} should be refused`);
      if (!v.ok) {
        assert.equal(v.code, 4, `step ${n}: BUSY`);
        assert.match(v.reason, expect, `step ${n}`);
      }
    }
  }
  assert.equal(a.sessions, 3);
});

Deno.test("Admission reserves --max-buffer per session out of --max-buffer-total", () => {
  const a = new Admission({
    ...LIMITS,
    maxSessions: 100,
    maxSessionsPerClient: 100,
    maxBufferTotalBytes: 10 * MiB,
  });
  assert.ok(a.admitSession("x").ok);
  a.opened("x");
  assert.ok(a.admitSession("x").ok);
  a.opened("x");
  const v = a.admitSession("y");
  assert.ok(
    !v.ok &&
      /reassembly memory is taken \(2 sessions of 4\.0 MiB in 10\.0 MiB, --max-buffer-total\)/.test(
        v.reason,
      ),
    JSON.stringify(v),
  );
  a.closed("x");
  assert.ok(a.admitSession("y").ok);
});

const LINKS: [n: number, held: number[], index: number, ok: boolean][] = [
  [1, [], 1, true],
  [2, [1, 2], 3, true],
  [3, [1, 2, 3], 4, false], // at the limit
  [4, [1, 2, 3], 2, true], // a replacement for link 2 is not a new link
];

for (const [n, held, index, ok] of LINKS) {
  Deno.test(`Admission.admitLink() case ${n}: links ${held.join(",") || "none"} + ${index}`, () => {
    const v = new Admission({ ...LIMITS, maxLinksPerSession: 3 }).admitLink(new Set(held), index);
    assert.equal(v.ok, ok);
    if (!v.ok) assert.match(v.reason, /link limit \(3, --max-links-per-session\)/);
  });
}

Deno.test("LogThrottle lets a burst through, then sums up the rest once per window", () => {
  const t = new LogThrottle(2, 1000);
  assert.deepEqual(t.offer("a", 0), ["a"]);
  assert.deepEqual(t.offer("b", 10), ["b"]);
  assert.deepEqual(t.offer("c", 20), []);
  assert.deepEqual(t.offer("d", 30), []);
  assert.deepEqual(t.offer("e", 1500), [
    "... and 2 more refused connections in 1 s, not shown one by one",
    "e",
  ]);
  assert.deepEqual(t.flush(1600), []);
});
