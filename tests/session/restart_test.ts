// Tests of `send --restart`'s decisions (core/session/restart_policy.ts), the input shared by
// successive sessions (core/session/restart_source.ts), the loop that runs them
// (core/session/restart_io.ts, with fake sessions and a virtual clock) and the session label of
// `--session-sni` (core/session/handshake.ts). Edge cases as numbered tables.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  isFatalOpenError,
  RestartPlanner,
  type RestartPolicy,
  SessionLossWatch,
  whyNotRestart,
} from "../../core/session/restart_policy.ts";
import { ResumableInput } from "../../core/session/restart_source.ts";
import { superviseSessions } from "../../core/session/restart_io.ts";
import type { ClientLink, ClientSession } from "../../core/session/client_io.ts";
import type { Logger, SessionOutcome, Source } from "../../core/session/driver_io.ts";
import { RefusedError, sessionLabel } from "../../core/session/handshake.ts";
import { AuthError, LinkDownError, TrustError } from "../../core/tunnel/errors.ts";
import { CloseCode } from "../../core/frame/types.ts";

const failed = (code: number, byPeer: boolean, reason = "why"): SessionOutcome => ({
  kind: "failed",
  code,
  reason,
  byPeer,
});

const OUTCOMES: [n: number, outcome: SessionOutcome, restart: boolean][] = [
  [1, { kind: "complete" }, false],
  [2, failed(CloseCode.UNKNOWN_SESSION, false), true], // the loss watch: relay gone
  [3, failed(CloseCode.INCOMPLETE, false), true], // no link up for --link-timeout
  [4, failed(CloseCode.SHUTDOWN, true), true], // the relay shut down
  [5, failed(CloseCode.SHUTDOWN, false), false], // we were interrupted
  [6, failed(CloseCode.OUTPUT_FAILED, true), true], // the relay's disk
  [7, failed(CloseCode.OUTPUT_FAILED, false), false], // our own --output
  [8, failed(CloseCode.BUSY, true), true],
  [9, failed(CloseCode.REVOKED, true), false],
  [10, failed(CloseCode.AUTH_FAILED, false, "input failed: broken pipe"), false],
  [11, failed(CloseCode.VERSION_MISMATCH, true), false],
  [12, failed(CloseCode.PROTOCOL_ERROR, true), false],
];

Deno.test("whyNotRestart() restarts only what another relay can mend", () => {
  for (const [n, outcome, restart] of OUTCOMES) {
    const why = whyNotRestart(outcome);
    assert.equal(why === null, restart, `case ${n}: ${JSON.stringify(outcome)} -> ${why}`);
  }
});

Deno.test("isFatalOpenError() gives up on credentials, certificates and revocation only", () => {
  const cases: [number, unknown, boolean][] = [
    [1, new AuthError("token"), true],
    [2, new TrustError("pin"), true],
    [3, new RefusedError(CloseCode.REVOKED, "revoked"), true],
    [4, new RefusedError(CloseCode.BUSY, "busy"), false],
    [5, new RefusedError(CloseCode.OUTPUT_FAILED, "disk"), false],
    [6, new LinkDownError("refused"), false],
    [7, new Error("no link could reach the server"), false],
  ];
  for (const [n, e, fatal] of cases) assert.equal(isFatalOpenError(e), fatal, `case ${n}`);
});

const POLICY: RestartPolicy = { maxRestarts: 3, windowMs: 60_000, giveUpMs: 10_000 };
const LOST = failed(CloseCode.UNKNOWN_SESSION, false, "relay gone");

Deno.test("RestartPlanner allows maxRestarts in any window, then stops", () => {
  const p = new RestartPlanner(POLICY);
  // [step, time (ms), restart expected]
  const steps: [number, number, boolean][] = [
    [1, 0, true],
    [2, 10_000, true],
    [3, 20_000, true],
    [4, 30_000, false], // a fourth within 60 s
    [5, 60_001, true], // the first has left the window
    [6, 60_002, false],
    [7, 200_000, true],
  ];
  for (const [n, at, restart] of steps) {
    const d = p.sessionEnded(LOST, at);
    assert.equal(d.restart, restart, `step ${n}: ${JSON.stringify(d)}`);
    if (d.restart) {
      assert.equal(d.delayMs, 0, `step ${n}: the first attempt goes at once`);
      p.opened();
    } else {
      assert.match(d.why, /restarted 3 times in the last 1 min \(--max-restarts 3\)/);
    }
  }
  assert.equal(p.restarts, 5);
});

Deno.test("RestartPlanner backs off 0.5 s doubling to 5 s and gives up after giveUpMs", () => {
  const p = new RestartPlanner({ ...POLICY, giveUpMs: 15_000 });
  assert.ok(p.sessionEnded(LOST, 1000).restart);
  const err = new Error("no link could reach the server");
  let now = 1000;
  const delays: number[] = [];
  for (;;) {
    const d = p.openFailed(err, now);
    if (!d.restart) {
      assert.match(d.why, /no new session could be opened for 15 s: no link could reach/);
      break;
    }
    delays.push(d.delayMs);
    now += d.delayMs;
  }
  // 0.5+1+2+4+5 = 12.5 s, then the last wait is cut to the deadline (2.5 s).
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 5000, 2500]);
  assert.equal(now, 16_000);
});

Deno.test("RestartPlanner: a fatal open error stops at once; opened() resets the backoff", () => {
  const p = new RestartPlanner(POLICY);
  assert.ok(p.sessionEnded(LOST, 0).restart);
  assert.equal((p.openFailed(new Error("x"), 0) as { delayMs: number }).delayMs, 500);
  assert.equal((p.openFailed(new Error("x"), 500) as { delayMs: number }).delayMs, 1000);
  p.opened();
  assert.ok(p.sessionEnded(LOST, 5000).restart);
  assert.equal((p.openFailed(new Error("x"), 5000) as { delayMs: number }).delayMs, 500);
  const d = p.openFailed(new AuthError("the token does not match"), 5500);
  assert.deepEqual(d, { restart: false, why: "the token does not match" });
  // Not restartable at all: no restart counted.
  const q = new RestartPlanner(POLICY);
  assert.equal(q.sessionEnded(failed(CloseCode.REVOKED, true, "revoked"), 0).restart, false);
  assert.equal(q.restarts, 0);
});

Deno.test("SessionLossWatch: lost only when no link is up and a relay disowned the session", () => {
  const w = new SessionLossWatch();
  // [step, action, link, lost afterwards]
  const steps: [number, "up" | "down" | "refused", number, boolean][] = [
    [1, "up", 1, false],
    [2, "up", 2, false],
    [3, "refused", 3, false], // link 3 went astray; links 1 and 2 still carry the session
    [4, "down", 1, false],
    [5, "down", 2, true], // the last link went down after a refusal
    [6, "up", 2, false], // a link joined after all: the session lives
    [7, "down", 2, false], // down without a refusal since: links may come back
    [8, "refused", 1, true],
  ];
  for (const [n, action, index, lost] of steps) {
    const r = w[action](index);
    assert.equal(w.lost, lost, `step ${n}`);
    if (action !== "up") assert.equal(r, lost, `step ${n}: return value`);
  }
});

/** A source of fixed chunks whose reads complete when the test says. */
class ManualSource implements Source {
  pending: { resolve: (c: Uint8Array | null) => void }[] = [];
  closed = false;
  read(): Promise<Uint8Array | null> {
    return new Promise((resolve) => this.pending.push({ resolve }));
  }
  give(c: Uint8Array | null) {
    this.pending.shift()!.resolve(c);
  }
  close() {
    this.closed = true;
  }
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("ResumableInput: a session's end closes its view, not the input", async () => {
  const src = new ManualSource();
  const input = new ResumableInput(src);
  const a = input.view();
  const r1 = a.read();
  await tick();
  src.give(new Uint8Array(3));
  assert.equal((await r1)!.length, 3);
  assert.equal(input.position, 3);
  // Session A ends while its next read is pending: the chunk is kept for B.
  const r2 = a.read();
  await tick();
  a.close();
  src.give(new Uint8Array([7, 8]));
  assert.equal(await r2, null);
  assert.equal(input.position, 3, "a kept chunk is not counted until handed over");
  assert.equal(await a.read(), null, "a closed view reads nothing");
  const b = input.view();
  assert.deepEqual(await b.read(), new Uint8Array([7, 8]));
  assert.equal(input.position, 5);
  assert.equal(src.closed, false);
  const r3 = b.read();
  await tick();
  src.give(null);
  assert.equal(await r3, null);
  assert.ok(input.ended && input.exhausted);
  assert.equal(await input.view().read(), null, "after the end, a new view reads nothing");
});

Deno.test("ResumableInput: a new view waits for the old view's pending read", async () => {
  const src = new ManualSource();
  const input = new ResumableInput(src);
  const a = input.view();
  const ra = a.read();
  await tick();
  const b = input.view(); // A is replaced while its read is pending
  const rb = b.read();
  await tick();
  assert.equal(src.pending.length, 1, "B must not read beside A's pending read");
  src.give(new Uint8Array([1]));
  assert.equal(await ra, null);
  assert.deepEqual(await rb, new Uint8Array([1]), "B gets the chunk A's session missed");
  input.close();
  assert.ok(src.closed && input.exhausted);
  assert.equal(await b.read(), null);
});

/** A fake client session whose end the test decides. */
function fakeSession(id: string, log: string[]) {
  let end!: (o: SessionOutcome) => void;
  const s = {
    sessionIdHex: id.padEnd(32, "0"),
    bufferMs: 3000,
    delivered: 0,
    links: [] as number[],
    driver: {
      done: new Promise<SessionOutcome>((r) => (end = r)),
      endpoint: { outbound: { bytesAcked: 0 } },
      stopInput: () => log.push(`${id} stopInput`),
      abort: (_c: number, why: string) => log.push(`${id} abort ${why}`),
    },
    stop() {},
    addLink: (l: ClientLink) => void log.push(`${id} add ${l.index}`),
    removeLink: (i: number) => (log.push(`${id} remove ${i}`), true),
  };
  return {
    session: s as unknown as ClientSession,
    finish(o: SessionOutcome, delivered: number) {
      s.driver.endpoint.outbound.bytesAcked = delivered;
      end(o);
    },
  };
}

function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
    debug: () => {},
  };
}

Deno.test("superviseSessions() restarts a lost stream from the input's position", async () => {
  const src = new ManualSource();
  const input = new ResumableInput(src);
  const log = memoryLog();
  const calls: string[] = [];
  let now = 0;
  const slept: number[] = [];
  const sessions: ReturnType<typeof fakeSession>[] = [];
  const opened: { links: number[]; source: Source }[] = [];
  // Attempt 2 fails (the new session's hash met the dead relay), 3 succeeds.
  let attempt = 0;
  const sup = await superviseSessions({
    links: [{
      index: 1,
      caps: { kind: "ethernet", name: "a", localAddress: "", cost: 1, priority: "primary" },
    }],
    input,
    policy: POLICY,
    log,
    clock: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
    open: (links, source) => {
      attempt++;
      if (attempt === 2) return Promise.reject(new LinkDownError("connection reset"));
      const f = fakeSession(`s${attempt}`, calls);
      sessions.push(f);
      opened.push({ links: links.map((l) => l.index), source });
      return Promise.resolve(f.session);
    },
  });
  // Session 1 reads 10 bytes, and 4 of them are delivered before its relay dies.
  const r = opened[0].source.read();
  await tick();
  src.give(new Uint8Array(10));
  await r;
  sup.addLink({
    index: 2,
    caps: { kind: "ethernet", name: "b", localAddress: "", cost: 1, priority: "primary" },
  });
  sessions[0].finish(failed(CloseCode.UNKNOWN_SESSION, false, "the relay no longer holds it"), 4);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(sessions.length, 2, `a second session: ${log.lines.join("\n")}`);
  assert.deepEqual(opened[1].links, [1, 2], "the new session dials the links of now");
  assert.deepEqual(slept, [500], "one failed attempt, then 0.5 s");
  const text = log.lines.join("\n");
  assert.match(
    text,
    /the stream restarts \(1 of at most 3\): session s10000000000 ended \(the relay no longer holds it\) after delivering 4 bytes .*; 6 bytes .* are skipped; a new session starts at input byte 10/,
  );
  assert.match(text, /restart: no new session yet \(connection reset\); again in 500 ms/);
  assert.match(text, /stream restarted: session s30000000000 streams from input byte 10/);
  // Session 3 completes: the stream is over, with both sessions in the report.
  sessions[1].finish({ kind: "complete" }, 20);
  const end = await sup.done;
  assert.equal(end.outcome.kind, "complete");
  assert.equal(end.restarts, 1);
  assert.deepEqual(end.sessions.map((s) => [s.from, s.delivered]), [[0, 4], [10, 20]]);
});

Deno.test("superviseSessions() without a policy, or after a signal, does not restart", async () => {
  for (const [n, policy, signal] of [[1, null, false], [2, POLICY, true]] as const) {
    const input = new ResumableInput(new ManualSource());
    const calls: string[] = [];
    const f = fakeSession("only", calls);
    let opens = 0;
    const sup = await superviseSessions({
      links: [],
      input,
      policy,
      log: memoryLog(),
      open: () => (opens++, Promise.resolve(f.session)),
    });
    if (signal) sup.stopInput();
    f.finish(failed(CloseCode.UNKNOWN_SESSION, false, "gone"), 0);
    const end = await sup.done;
    assert.equal(opens, 1, `case ${n}`);
    assert.equal(end.outcome.kind, "failed", `case ${n}`);
    assert.equal(end.restarts, 0, `case ${n}`);
  }
});

Deno.test("sessionLabel() is 16 hex digits of SHA-256('bondctl-sni' || id)", async () => {
  const id = new Uint8Array(16).map((_, i) => i * 17);
  const want = createHash("sha256").update("bondctl-sni").update(id).digest("hex").slice(0, 16);
  assert.equal(await sessionLabel(id), want);
  assert.match(want, /^[0-9a-f]{16}$/);
  const other = id.slice();
  other[15] ^= 1;
  assert.notEqual(await sessionLabel(other), want);
});
