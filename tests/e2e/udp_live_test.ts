/**
 * End-to-end live UDP through the bond with the real processes over loopback links, in order:
 * 1. MPEG-TS over UDP: ffmpeg (lavfi testsrc2 + sine, H.264 + AAC) sends 1316-octet datagrams
 *    at real time to `send --input udp-listen:// --deadline 800ms`; `receive --output udp://`
 *    hands them to a UDP sink here, which writes the file: it decodes with no error, every
 *    datagram arrived, and the video frames are the source's;
 * 2. the same stream (replayed from a file by a paced UDP source here, so that every datagram
 *    is counted) through the user-space link emulator, with link 1 cut silently mid-stream,
 *    without and with `--fec 8+2`: the stream keeps flowing (no long pause at the sink), and
 *    the datagrams dropped are counted and printed with the sender's own figures; the relay's
 *    final line counts what it put out (what the sink got) and skipped (the rest);
 * 3. the same with a 150 ms deadline, where waiting for the dead link to be found costs
 *    datagrams and FEC earns its keep;
 * 4. bad --deadline and --fec: a usage error naming the flag, or one error line for options
 *    that do not go together; a byte stream into `--output udp://` ends with the reason.
 * Each test stays well under a minute; skipped with the reason when ffmpeg is missing.
 * @module
 */
import assert from "node:assert/strict";
import { assertNoStack, assertOneErrorLine, exited, Lab } from "./_e2e.ts";
import { startEmulator } from "../../core/emulator/relay_io.ts";
import {
  decodeErrors,
  hasFfmpeg,
  pacedSource,
  quiet,
  referenceStream,
  run,
  SECONDS,
  udpSink,
  videoFrames,
} from "./_live_udp.ts";

if (!hasFfmpeg) console.log("skip: live UDP tests need ffmpeg and ffprobe (Debian: ffmpeg)");

Deno.test({
  name: "1. MPEG-TS over UDP from ffmpeg through live mode: every datagram, a clean decode",
  ignore: !hasFfmpeg,
  async fn() {
    const lab = await Lab.open();
    const out = lab.path("out.ts");
    const sink = await udpSink(out);
    try {
      const ref = await referenceStream();
      const r = await lab.receiver(["--output", `udp://127.0.0.1:${sink.port}`]);
      const links = ["127.0.0.2", "127.0.0.3", "127.0.0.4"].flatMap((a) => ["--link", a]);
      const s = lab.sender(r, [
        "--input",
        "udp-listen://127.0.0.1:0",
        "--deadline",
        "800ms",
        ...links,
      ]);
      const port = Number((await s.waitFor(/datagrams on udp 127\.0\.0\.1:(\d+)/, 30_000))[1]);
      const ff = await run("ffmpeg", [
        "-v",
        "error",
        "-re",
        "-i",
        ref,
        "-c",
        "copy",
        "-f",
        "mpegts",
        `udp://127.0.0.1:${port}?pkt_size=1316`,
      ]);
      assert.equal(ff.code, 0, ff.err);
      await quiet(sink, 1500);
      s.kill("SIGINT");
      const sent = await exited(s);
      assert.equal(sent.code, 0, sent.stderr);
      await sink.close();
      const datagramsIn = Number(/udp: (\d+) datagrams in/.exec(sent.stderr)?.[1]);
      console.log(
        `ffmpeg -> send (live 800 ms, 3 links) -> receive -> sink: ${sink.at.length} of ` +
          `${datagramsIn} datagrams, longest pause ${sink.longestPause().toFixed(0)} ms`,
      );
      assert.equal(sink.at.length, datagramsIn, "every datagram ffmpeg sent came out");
      assert.match(sent.stderr, /0 dropped late in the queue/);
      assert.equal(await decodeErrors(out), "", "the file decodes with no error");
      assert.equal(await videoFrames(out), await videoFrames(ref), "every video frame");
    } finally {
      await sink.close().catch(() => {});
      await lab.close();
    }
  },
});

/** One run of the cut test: returns what the sink and the sender saw. */
async function cutRun(deadline: string, fec: string | null) {
  const lab = await Lab.open();
  const out = lab.path("out.ts");
  const sink = await udpSink(out);
  let emu: Awaited<ReturnType<typeof startEmulator>> | null = null;
  try {
    const bytes = await Deno.readFile(await referenceStream());
    const r = await lab.receiver(["--output", `udp://127.0.0.1:${sink.port}`]);
    emu = await startEmulator({
      links: ["8mbit/20ms", "8mbit/30ms", "6mbit/40ms"],
      target: `127.0.0.1:${r.port}`,
    });
    const links = emu.ports.flatMap((p, i) => ["--link", `127.0.0.${i + 2},via=127.0.0.1:${p}`]);
    const s = lab.sender(r, [
      "--input",
      "udp-listen://127.0.0.1:0",
      "--deadline",
      deadline,
      ...(fec ? ["--fec", fec] : []),
      ...links,
    ]);
    const port = Number((await s.waitFor(/datagrams on udp 127\.0\.0\.1:(\d+)/, 30_000))[1]);
    const e = emu;
    // The fastest link goes silent (nothing closes, nothing arrives) 4 s into the stream.
    const cut = setTimeout(() => e.cut(1, "silent"), 4000);
    const sentCount = await pacedSource(bytes, port, SECONDS);
    clearTimeout(cut);
    await quiet(sink, 1500);
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
    await sink.close();
    const summary = /datagram streams \(.*$/m.exec(sent.stderr)?.[0] ?? "(no summary)";
    // The relay reports its side of the datagram streams when the session ends.
    const relay = await r.proc.waitFor(
      /session \w+: (datagram streams: \d+ opened; (\d+) datagrams out in order, (\d+) skipped.*)$/,
      15_000,
    );
    return {
      sentCount,
      got: sink.at.length,
      pause: sink.longestPause(),
      summary,
      relaySummary: relay[1],
      relayOut: Number(relay[2]),
      relaySkipped: Number(relay[3]),
      errors: await decodeErrors(out),
      stderr: sent.stderr,
    };
  } finally {
    await sink.close().catch(() => {});
    await emu?.close();
    await lab.close();
  }
}

/** Runs the cut test without and with FEC at `deadline`, printing what each run saw. */
async function cutTest(deadline: string, minShare: number) {
  for (const fec of [null, "8+2"]) {
    const r = await cutRun(deadline, fec);
    const dropped = r.sentCount - r.got;
    console.log(
      `link 1 of 3 silent at 4 s, live ${deadline}${fec ? `, FEC ${fec}` : ""}: ${r.got} of ` +
        `${r.sentCount} datagrams arrived (${dropped} dropped), longest pause at the sink ` +
        `${r.pause.toFixed(0)} ms; sender: ${r.summary}; relay: ${r.relaySummary}; decode errors: ${
          r.errors === "" ? "none" : r.errors.split("\n").length + " lines"
        }`,
    );
    // Flowing: the sink never waited much longer than the deadline for the dead link.
    assert.ok(r.pause < 1500, `a pause of ${r.pause} ms at the sink\n${r.stderr}`);
    assert.ok(r.got >= r.sentCount * minShare, `${r.got} of ${r.sentCount}\n${r.stderr}`);
    assert.match(r.stderr, /link 1 stalled/);
    // What the relay put out in order is what reached the sink (loopback UDP loses nothing
    // here), and every datagram the source sent came out or was counted as skipped.
    assert.equal(r.relayOut, r.got, r.relaySummary);
    assert.ok(r.relayOut + r.relaySkipped >= r.sentCount, r.relaySummary);
  }
}

Deno.test({
  name: "2. a link cut silently mid-stream (800 ms): the live stream keeps flowing",
  ignore: !hasFfmpeg,
  fn: () => cutTest("800ms", 0.9),
});

Deno.test({
  name: "3. the same cut with a tight deadline (150 ms): drops counted without and with FEC",
  ignore: !hasFfmpeg,
  fn: () => cutTest("150ms", 0.8),
});

Deno.test("4. bad --deadline and --fec are refused; a byte stream cannot go to udp://", async () => {
  const lab = await Lab.open();
  try {
    const base = [
      "send",
      "--server",
      "127.0.0.1:9",
      "--pin",
      `sha256:${"0".repeat(64)}`,
      "--token-file",
      lab.tokenFile,
    ];
    const udpIn = ["--input", "udp-listen://127.0.0.1:0"];
    for (
      const [args, names] of [
        [["--fec", "8x2"], /--fec.*8x2.*K\+M/],
        [["--fec", "65+2"], /--fec.*K must be within 1 \.\. 64/],
        [["--deadline", "0ms"], /--deadline.*at least 1 ms/],
        [["--deadline", "soon"], /--deadline.*soon/],
      ] as const
    ) {
      const r = await lab.run([...base, ...udpIn, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: exit 2 expected; ${r.stderr}`);
      assert.match(r.stderr, names);
      assertNoStack(r.stderr);
    }
    assertOneErrorLine(
      await lab.run([...base, ...udpIn, "--fec", "8+2"]),
      /--fec needs --deadline/,
    );
    assertOneErrorLine(
      await lab.run([...base, "--input", "/dev/null", "--deadline", "800ms"]),
      /--deadline and --fec are for datagrams/,
    );
    // A byte stream (a file) sent to a relay whose output is udp://: the session fails, and
    // both sides say why.
    const r = await lab.receiver(["--output", "udp://127.0.0.1:9", "--once"]);
    const file = lab.path("in.bin");
    await Deno.writeFile(file, new Uint8Array(1000));
    const s = await exited(lab.sender(r, ["--input", file, "--link", "127.0.0.2"]));
    assert.equal(s.code, 1, s.stderr);
    assert.match(s.stderr, /carries datagram streams/);
    assertNoStack(s.stderr);
  } finally {
    await lab.close();
  }
});
