/**
 * The fault matrix: real `bondctl send` and `receive` processes whose every link runs through
 * the user-space link emulator (`tests/_helpers/fault_lab.ts`), one test per fault, each ending
 * with the output's SHA-256 equal to the input's or, for a fault nobody can survive, one clear
 * error and an output that is a correct prefix of the input. No root needed.
 *
 * | # | fault                                     | where                                       |
 * | - | ----------------------------------------- | ------------------------------------------- |
 * | 1 | link cut (connections reset)              | here (and in a netns: hardening_netns_test) |
 * | 2 | link silent (bytes vanish, nothing closes)| here (and with nftables: hardening_netns)   |
 * | 3 | a link flapping every 2 s; a link back    | here                                        |
 * |   | from silence must carry data again        |                                             |
 * | 4 | all links gone for 10 s, then back        | here (and in a netns: hardening_netns_test) |
 * | 5 | all links gone beyond --link-timeout      | here                                        |
 * | 6 | slow output (receiver's RSS stays flat)   | here (sender's read position: faults_test)  |
 * | 7 | receiver's disk full (a tmpfs)            | hardening_disk_test.ts (needs root)         |
 * | 8 | sender killed                             | here (memory and prefix; faults_test: text) |
 * | 9 | slowloris                                 | hardening_limits_test.ts                    |
 *
 * Failover stalls (1, 2) are the longest pause of the receiver's output around the fault,
 * measured from the test's reads of its stdout, and printed; they are asserted only against
 * generous bounds that catch a hang, never against the targets (< 1 s cut, < 2 s silent).
 * @module
 */
import assert from "node:assert/strict";
import { type Emulator, startEmulator } from "../../core/emulator/relay_io.ts";
import { type Proc, spawnBondctl, tempWorkspace } from "../_helpers/bondctl.ts";
import {
  type FaultRig,
  mib,
  openFaultRig,
  PacedFeed,
  rssOf,
  RssSampler,
  sha256,
  slope,
} from "../_helpers/fault_lab.ts";

const MiB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `during` beside a paced feed of `seconds`, then waits for both processes. */
async function drive(
  rig: FaultRig,
  o: { bytesPerSecond: number; seconds: number; seed: number; keep?: boolean },
  during: () => Promise<void>,
) {
  const feed = new PacedFeed(rig.sender.child.stdin, {
    bytesPerSecond: o.bytesPerSecond,
    seed: o.seed,
    keep: o.keep,
  });
  const t0 = performance.now();
  await Promise.all([feed.run(o.seconds * 1000), during()]);
  const exits = await rig.bothExited();
  const out = await rig.output.done;
  return { feed, t0, out, ...exits };
}

/** Asserts a clean end: both exit 0, the output is the input. */
function assertIntact(r: Awaited<ReturnType<typeof drive>>) {
  assert.equal(r.sender.code, 0, `sender:\n${r.sender.stderr}`);
  assert.equal(r.receiver.code, 0, `receiver:\n${r.receiver.stderr}`);
  assert.equal(r.out.bytes, r.feed.written, "output length differs from input length");
  assert.equal(r.out.sha, r.feed.sha(), "output SHA-256 differs from input SHA-256");
}

// Three 12 Mbit/s links and 2 MiB/s (16.8 Mbit/s) of input: every link carries a share, and
// any two of them carry it all.
const THREE = ["12mbit/20ms", "12mbit/30ms", "12mbit/40ms"];
const RATE = 2 * MiB;

/** Bytes link `i` has carried to the receiver so far. */
const carried = (rig: FaultRig, i: number) => rig.emu.stats(i).upBytes;

Deno.test("fault: link cut (connections reset): the others carry on, output intact", async () => {
  // --debug: the sender says which permissions it kept after setup (only net, for links
  // named by address), and the cut link must dial again with no more than that.
  const rig = await openFaultRig({ links: THREE, senderArgs: ["--debug"] });
  try {
    let cutAt = 0;
    let before = 0;
    const r = await drive(rig, { bytesPerSecond: RATE, seconds: 9, seed: 11 }, async () => {
      await sleep(3000);
      before = carried(rig, 1);
      cutAt = performance.now();
      rig.emu.cut(1, "closed");
      await sleep(3000);
      rig.emu.restore(1);
    });
    assertIntact(r);
    assert.ok(before > 0, "link 1 carried nothing before its cut: nothing was tested");
    assert.match(r.sender.stderr, /permissions after setup: net; the rest revoked/);
    assert.match(r.sender.stderr, /link 1 \(127\.0\.0\.2\) joined/, "link 1 never dialled again");
    const calm = rig.output.longestGap(cutAt - 2000, cutAt);
    const stall = rig.output.longestGap(cutAt, cutAt + 2000);
    console.log(
      `link cut: failover stall ${stall.toFixed(0)} ms (no fault: ${calm.toFixed(0)} ms); ` +
        `link 1 had carried ${mib(before)}; ${mib(r.feed.written)} intact`,
    );
    assert.ok(stall < 8000, `the output stood still ${stall} ms after a cut (a hang)`);
  } finally {
    await rig.close();
  }
});

Deno.test("fault: link silent (bytes vanish, nothing closes): output intact", async () => {
  const rig = await openFaultRig({ links: THREE });
  try {
    let silentAt = 0;
    let before = 0;
    const r = await drive(rig, { bytesPerSecond: RATE, seconds: 10, seed: 12 }, async () => {
      await sleep(3000);
      before = carried(rig, 1);
      silentAt = performance.now();
      rig.emu.cut(1, "silent");
      // Back before the 10 s after which a silent link is closed: what it held arrives late,
      // after its blocks went out again elsewhere (duplicates the receiver must drop).
      await sleep(5000);
      rig.emu.restore(1);
    });
    assertIntact(r);
    assert.ok(before > 0, "link 1 carried nothing before it went silent: nothing was tested");
    const calm = rig.output.longestGap(silentAt - 2000, silentAt);
    const stall = rig.output.longestGap(silentAt, silentAt + 3000);
    console.log(
      `link silent: failover stall ${stall.toFixed(0)} ms (no fault: ${calm.toFixed(0)} ms); ` +
        `link 1 had carried ${mib(before)}; ${mib(r.feed.written)} intact`,
    );
    assert.ok(stall < 8000, `the output stood still ${stall} ms after a silent link (a hang)`);
  } finally {
    await rig.close();
  }
});

Deno.test("fault: a link back from 2 s of silence carries data again", async () => {
  // 3 MiB/s (25 Mbit/s) of input needs all three 12 Mbit/s links. Link 1 goes silent for 2 s
  // and comes back: the bond must use it again, or fall behind its live input.
  const rig = await openFaultRig({ links: THREE });
  try {
    let back = 0;
    let later = 0;
    const r = await drive(rig, { bytesPerSecond: 3 * MiB, seconds: 14, seed: 17 }, async () => {
      await sleep(3000);
      rig.emu.cut(1, "silent");
      await sleep(2000);
      rig.emu.restore(1);
      await sleep(1000); // what it held drains
      back = carried(rig, 1);
      await sleep(7000);
      later = carried(rig, 1);
    });
    assertIntact(r);
    const share = (later - back) / 7;
    console.log(
      `link back from silence: link 1 carried ${mib(share)}/s in the 7 s after it drained ` +
        `(a third of the input would be ${mib(MiB)}/s); the input fell behind by up to ` +
        `${(r.feed.lagMs / 1000).toFixed(1)} s`,
    );
    assert.ok(
      share > MiB / 4,
      `link 1 carried only ${mib(share)}/s after its silence: the scheduler no longer uses it`,
    );
  } finally {
    await rig.close();
  }
});

Deno.test("fault: a link flapping every 2 s (reset and silent in turn): output intact", async () => {
  const rig = await openFaultRig({ links: THREE });
  try {
    const flaps: string[] = [];
    const r = await drive(rig, { bytesPerSecond: RATE, seconds: 13, seed: 13 }, async () => {
      for (let i = 0; i < 6; i++) {
        await sleep(2000);
        if (i % 2 === 1) {
          rig.emu.restore(1);
          continue;
        }
        const kind = i % 4 === 0 ? "closed" : "silent";
        flaps.push(`${kind} at ${mib(carried(rig, 1))}`);
        rig.emu.cut(1, kind);
      }
    });
    assertIntact(r);
    const longest = rig.output.longestGap(r.t0 + 1000, r.t0 + 13_000);
    console.log(
      `link flapping every 2 s (${flaps.join(", ")} carried): longest output pause ` +
        `${longest.toFixed(0)} ms; link 1 carried ${mib(carried(rig, 1))} in all, made ` +
        `${rig.emu.stats(1).connections} connections; ${mib(r.feed.written)} intact`,
    );
    assert.ok(rig.emu.stats(1).connections >= 2, "link 1 never dialled again after a reset");
    assert.ok(longest < 8000, `the output stood still ${longest} ms (a hang)`);
  } finally {
    await rig.close();
  }
});

Deno.test("fault: all links gone for 10 s, then back: the session resumes, output intact", async () => {
  const rig = await openFaultRig({ links: THREE });
  try {
    let goneAt = 0;
    let backAt = 0;
    const r = await drive(rig, { bytesPerSecond: MiB, seconds: 18, seed: 14 }, async () => {
      await sleep(3000);
      goneAt = performance.now();
      for (const i of [1, 2, 3]) rig.emu.cut(i, "closed");
      await sleep(10_000);
      for (const i of [1, 2, 3]) rig.emu.restore(i);
      backAt = performance.now();
    });
    assertIntact(r);
    const atCut = rig.output.bytesAt(goneAt + 1000);
    const resumedAt = rig.output.timeBeyond(atCut);
    assert.ok(resumedAt !== null && resumedAt > backAt - 100, "output grew while no link was up");
    const resumed = resumedAt - backAt;
    console.log(
      `all links gone ${((backAt - goneAt) / 1000).toFixed(1)} s: output resumed ` +
        `${(resumed / 1000).toFixed(2)} s after they came back (--link-timeout 30 s); ` +
        `${mib(r.feed.written)} intact`,
    );
    assert.ok(resumed < 30_000, `resumed ${resumed} ms after the links came back`);
  } finally {
    await rig.close();
  }
});

Deno.test("fault: all links gone beyond --link-timeout: one clear error, a correct prefix", async () => {
  const rig = await openFaultRig({
    links: THREE,
    receiverArgs: ["--link-timeout", "2s"],
    senderArgs: ["--link-timeout", "2s"],
    keepOutput: true,
  });
  try {
    const feed = new PacedFeed(rig.sender.child.stdin, {
      bytesPerSecond: MiB,
      seed: 15,
      keep: true,
    });
    const feeding = feed.run(20_000);
    await sleep(2000);
    for (const i of [1, 2, 3]) rig.emu.cut(i, "closed");
    const { sender, receiver } = await rig.bothExited();
    feed.stop();
    await feeding;
    assert.equal(sender.code, 1, sender.stderr);
    assert.equal(receiver.code, 1, receiver.stderr);
    const errors = (text: string) =>
      text.split("\n").filter((l) => l.startsWith("bondctl: error:"));
    assert.equal(errors(sender.stderr).length, 1, sender.stderr);
    assert.match(errors(sender.stderr)[0], /no link has been up for 2 s/);
    assert.equal(errors(receiver.stderr).length, 1, receiver.stderr);
    assert.match(errors(receiver.stderr)[0], /the session ended incomplete/);
    const out = rig.output.output();
    const input = feed.bytes();
    assert.ok(out.length > 0, "nothing arrived before the links went");
    assert.ok(out.length <= input.length, "more output than input");
    assert.equal(sha256(out), sha256(input.subarray(0, out.length)), "not a prefix of the input");
    console.log(
      `all links gone beyond --link-timeout 2s: both sides exited 1 with one error line; ` +
        `output a correct prefix, ${mib(out.length)} of ${mib(input.length)} read`,
    );
  } finally {
    await rig.close();
  }
});

Deno.test("fault: slow output: backpressure keeps memory flat (receiver and sender)", async () => {
  // The output is read at 12 MiB/s; the input is offered at 48 MiB/s for 4 s (192 MiB) over
  // links that could carry it. Without backpressure the receiver would take in most of the
  // input and hold what it cannot write yet (well over 96 MiB); with it, its window
  // (--max-buffer 4MiB) bounds what it holds and the sender stops reading its input instead,
  // which must not cost the sender memory either.
  const rig = await openFaultRig({
    links: ["400mbit/5ms", "400mbit/10ms"],
    receiverArgs: ["--max-buffer", "4MiB"],
    outputBytesPerSecond: 12 * MiB,
  });
  try {
    const sampler = RssSampler.start({
      receiver: rig.receiver.child.pid,
      sender: rig.sender.child.pid,
    }, 250);
    const r = await drive(rig, { bytesPerSecond: 48 * MiB, seconds: 4, seed: 16 }, () => sleep(0));
    await sampler.stop();
    assertIntact(r);
    const firstOut = rig.output.timeBeyond(0)! - r.t0;
    const figures = (name: string) => {
      const rss = sampler.samples.filter((s) => s.rss[name] !== undefined)
        .map((s) => ({ t: s.t, v: s.rss[name] }));
      const atFirst = rss.find((s) => s.t >= firstOut);
      const warm = rss.find((s) => s.t >= firstOut + 3000); // three seconds of output: warm-up
      assert.ok(atFirst && warm, `no RSS sample of the ${name} after warm-up`);
      const after = rss.filter((s) => s.t >= warm.t);
      const f = {
        atFirst: atFirst.v,
        warm: warm.v,
        peak: Math.max(...rss.map((s) => s.v)),
        growth: Math.max(...after.map((s) => s.v)) - warm.v,
        end: after.at(-1)!.v,
        perMin: slope(after.map((s) => s.t / 60_000), after.map((s) => s.v)),
      };
      console.log(
        `  ${name} RSS ${mib(f.atFirst)} at the first output, ${mib(f.warm)} after warm-up, ` +
          `peak ${mib(f.peak)}, end ${mib(f.end)}; after warm-up +${mib(f.growth)}, slope ` +
          `${(f.perMin / MiB).toFixed(1)} MiB/min`,
      );
      return f;
    };
    console.log(
      `slow output (read at 12 MiB/s, input offered at 48 MiB/s, --max-buffer 4MiB): the ` +
        `sender's input waited up to ${(r.feed.lagMs / 1000).toFixed(1)} s; ` +
        `${mib(r.feed.written)} intact in ${((performance.now() - r.t0) / 1000).toFixed(1)} s`,
    );
    const recv = figures("receiver");
    const send = figures("sender");
    assert.ok(r.feed.lagMs > 3000, "the sender never pushed back on its input");
    assert.ok(recv.peak - recv.atFirst < 96 * MiB, `the receiver's RSS grew to ${mib(recv.peak)}`);
    assert.ok(recv.growth < 48 * MiB, `the receiver's RSS grew ${mib(recv.growth)} after warm-up`);
    // The sender warms up longer (its heap sizes itself for 100 Mbit/s and more), so its bound
    // is on the peak: what it may hold (input queue, window) is tens of MiB, its heap about as
    // much again. Stdin read into a fresh 256 KiB buffer per read, with the short reads of a
    // pipe under backpressure queued as subarrays each pinning all 256 KiB, grew it by 258 MiB
    // in this run (core/session/stream_io.ts, readerSource); with a copy per read, 135 MiB.
    assert.ok(
      send.peak - send.atFirst < 160 * MiB,
      `the sender's RSS grew ${mib(send.peak - send.atFirst)} while its input was pushed back`,
    );
  } finally {
    await rig.close();
  }
});

Deno.test("fault: sender killed: the receiver ends the session after --link-timeout, says it is incomplete, frees its memory", async () => {
  // One receiver (no --once) serves eight sessions in turn. In each, once the output holds
  // 8 MiB, links 1 and 2 go silent, so that the receiver holds what links 3 and 4 bring out of
  // order, and the sender is killed (SIGKILL) 300 ms later, before it sends the held blocks
  // again. The receiver must end each session after --link-timeout saying it is incomplete,
  // leave a correct prefix, and let go of what each session held. The RSS of a fresh receiver
  // grows over its first few sessions (V8 sizing its heap) and then stays put; after the
  // fifth session it may not grow by 16 MiB over three more (a leak of what each session
  // held, or of the sessions themselves, would).
  const ROUNDS = 8;
  const WARM = 5;
  const ws = await tempWorkspace();
  const receiver = spawnBondctl([
    "receive",
    "--listen",
    "127.0.0.1:0",
    "--self-signed",
    "--token-file",
    ws.tokenFile,
    "--output",
    `${ws.dir}/{session}.bin`,
    "--link-timeout",
    "1s",
    "--max-buffer",
    "64MiB",
  ]);
  const senders: Proc[] = [];
  let emu: Emulator | undefined;
  try {
    const pin = (await receiver.waitFor(/--pin (sha256:[0-9a-f]{64})/, 30_000))[1];
    const port = Number((await receiver.waitFor(/listening on .*:(\d+)$/, 30_000))[1]);
    emu = await startEmulator({
      // 16 MiB/s of input (134 Mbit/s) needs all four: each carries data when two go silent.
      links: ["40mbit/5ms", "40mbit/5ms", "40mbit/5ms", "40mbit/5ms"],
      target: `127.0.0.1:${port}`,
    });
    const rssNow = async () => (await rssOf(receiver.child.pid)) ?? 0;
    const idle = await rssNow();
    const rounds: { held: number; rss: number; after: number; out: number; said: string }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const s = spawnBondctl([
        "send",
        "--server",
        `127.0.0.1:${port}`,
        "--pin",
        pin,
        "--token-file",
        ws.tokenFile,
        ...emu.ports.flatMap((p, i) => ["--link", `127.0.0.${i + 2},via=127.0.0.1:${p}`]),
      ], { stdin: "piped" });
      senders.push(s);
      const feed = new PacedFeed(s.child.stdin, {
        bytesPerSecond: 16 * MiB,
        seed: 20 + round,
        keep: true,
      });
      const feeding = feed.run(60_000);
      const before = receiver.lines.length;
      let path = "";
      for (let i = 0; i < 1200 && !path; i++) {
        const line = receiver.lines.slice(before).find((l) => / opened .*, output /.test(l));
        path = line?.replace(/^.*, output /, "") ?? "";
        if (!path) await sleep(25);
      }
      assert.ok(path.startsWith(ws.dir), `round ${round}: no session opened`);
      await sleep(100); // the file is made once the session is admitted
      // Let the session run, then silence links 1 and 2 and kill the sender.
      for (let i = 0; i < 1200 && (await Deno.stat(path)).size < 8 * MiB; i++) await sleep(25);
      const up = () => [1, 2, 3, 4].reduce((n, i) => n + emu!.stats(i).upBytes, 0);
      const sent = up();
      const written = (await Deno.stat(path)).size;
      emu.cut(1, "silent");
      emu.cut(2, "silent");
      await sleep(300);
      // What links 3 and 4 brought meanwhile waits behind the blocks held on links 1 and 2.
      const outOfOrder = up() - sent - ((await Deno.stat(path)).size - written);
      const rss = await rssNow();
      s.kill("SIGKILL");
      await s.done;
      feed.stop();
      await feeding;
      emu.restore(1);
      emu.restore(2);
      for (let i = 0; i < 400; i++) {
        if (receiver.lines.slice(before).some((l) => /ended incomplete after/.test(l))) break;
        if (i === 399) assert.fail(`round ${round}: no "ended incomplete" line`);
        await sleep(25);
      }
      const said = receiver.lines.slice(before).find((l) => /ended incomplete after/.test(l))!;
      await sleep(500);
      const out = await Deno.readFile(path);
      const input = feed.bytes();
      assert.ok(out.length >= 8 * MiB, `round ${round}: only ${out.length} bytes written`);
      assert.ok(out.length <= input.length, `round ${round}: more output than input`);
      assert.equal(
        sha256(out),
        sha256(input.subarray(0, out.length)),
        `round ${round}: the output (${out.length} bytes) is not a prefix of the input ` +
          `(${input.length} bytes fed)`,
      );
      rounds.push({ held: outOfOrder, rss, after: await rssNow(), out: out.length, said });
    }
    console.log(
      `sender killed, ${ROUNDS} times (--link-timeout 1s): receiver RSS idle ${mib(idle)}; ` +
        rounds.map((r, i) =>
          `session ${i + 1}: about ${mib(r.held)} held out of order and RSS ${mib(r.rss)} ` +
          `at the kill, RSS ${mib(r.after)} after its end, output a correct prefix of ` +
          `${mib(r.out)}`
        ).join("; ") + `; it said: ${rounds[0].said.replace(/^.*?session/, "session")}`,
    );
    for (const r of rounds) {
      assert.match(r.said, /ended incomplete after .*: (no link has been up|nothing heard)/);
    }
    const growth = rounds[ROUNDS - 1].after - rounds[WARM - 1].after;
    assert.ok(
      growth < 16 * MiB,
      `the receiver's RSS grew ${mib(growth)} from session ${WARM} to session ${ROUNDS}`,
    );
  } finally {
    for (const s of senders) s.kill("SIGKILL");
    receiver.kill("SIGKILL");
    await Promise.all([...senders.map((s) => s.done), receiver.done]);
    await emu?.close();
    await ws.cleanup();
  }
});
