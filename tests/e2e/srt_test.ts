/**
 * End-to-end SRT through the bond's live UDP mode, with the real processes over loopback links:
 * ffmpeg's SRT output (libsrt) calls `send --input udp-listen://` as if it were the SRT
 * listener; `receive --output udp://` hands its packets to Debian's `srt-live-transmit`
 * listening on loopback, whose answers (handshake, ACKs, NAKs) travel back on the same
 * datagram stream. The listener receives the stream: what it writes decodes, with (nearly)
 * every video frame. Then the same with link 1 of 3 cut silently mid-stream.
 * Skipped with the reason when ffmpeg (with SRT) or srt-live-transmit is missing.
 * @module
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { haveTool } from "../_helpers/bondctl.ts";
import { exited, Lab, until } from "./_e2e.ts";
import { startEmulator } from "../../core/emulator/relay_io.ts";
import { decodeErrors, hasFfmpeg, referenceStream, run, videoFrames } from "./_live_udp.ts";

const hasSrt = await haveTool("srt-live-transmit");
const ffmpegSrt = hasFfmpeg &&
  (await run("ffmpeg", ["-hide_banner", "-protocols"])).out.split("\n").some((l) =>
    l.trim() === "srt"
  );
const why = !hasSrt
  ? "srt-live-transmit (Debian: srt-tools)"
  : !ffmpegSrt
  ? "ffmpeg with the srt protocol (Debian's ffmpeg has it)"
  : "";
if (why) console.log(`skip: the SRT tests need ${why}`);

/** A UDP port free now (the listener binds it right after). */
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts an SRT listener on `port` that writes what it receives to `out`. */
async function srtListener(port: number, out: string) {
  const file = await Deno.open(out, { write: true, create: true, truncate: true });
  const proc = new Deno.Command("srt-live-transmit", {
    args: ["-q", `srt://127.0.0.1:${port}?mode=listener`, "file://con"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let received = 0;
  const copying = proc.stdout.pipeTo(
    new WritableStream({
      async write(chunk) {
        received += chunk.length;
        for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
      },
    }),
  ).catch(() => {});
  return {
    get received() {
      return received;
    },
    /** Waits until a second passes with nothing new. */
    async settle() {
      let last = received;
      let still = 0;
      await until(() => {
        still = received === last ? still + 1 : 0;
        last = received;
        return received > 0 && still > 20;
      }, "the SRT listener to have the stream");
    },
    async stop() {
      try {
        proc.kill("SIGTERM");
      } catch { /* gone */ }
      await proc.status;
      await copying;
      try {
        file.close();
      } catch { /* closed */ }
    },
  };
}

/** ffmpeg as an SRT caller at real time to `port`; SRT latency 1 s. */
async function srtCaller(ref: string, port: number): Promise<void> {
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
    `srt://127.0.0.1:${port}?mode=caller&pkt_size=1316&latency=1000000`,
  ]);
  assert.equal(ff.code, 0, `ffmpeg srt caller: ${ff.err}`);
}

let direct: Promise<number> | null = null;

/**
 * Video frames an SRT listener gets from ffmpeg directly, without the bond: ffmpeg's caller
 * closes without waiting for the last of its latency window, so even this is short of the
 * reference (225 of 250 frames here). The bond must do as well.
 */
function directFrames(): Promise<number> {
  direct ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "bondctl-srt-" });
    try {
      const port = await freeUdpPort();
      const l = await srtListener(port, `${dir}/direct.ts`);
      try {
        await srtCaller(await referenceStream(), port);
        await l.settle();
      } finally {
        await l.stop();
      }
      return await videoFrames(`${dir}/direct.ts`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return direct;
}

async function srtThroughBond(cut: boolean) {
  const baseline = await directFrames();
  const lab = await Lab.open();
  const out = lab.path("out.ts");
  const listenPort = await freeUdpPort();
  const listener = await srtListener(listenPort, out);
  let emu: Awaited<ReturnType<typeof startEmulator>> | null = null;
  try {
    const ref = await referenceStream();
    const r = await lab.receiver(["--output", `udp://127.0.0.1:${listenPort}`]);
    emu = await startEmulator({
      links: ["8mbit/20ms", "8mbit/30ms", "6mbit/40ms"],
      target: `127.0.0.1:${r.port}`,
    });
    const links = emu.ports.flatMap((p, i) => ["--link", `127.0.0.${i + 2},via=127.0.0.1:${p}`]);
    const s = lab.sender(r, [
      "--input",
      "udp-listen://127.0.0.1:0",
      "--deadline",
      "800ms",
      ...links,
    ]);
    const port = Number((await s.waitFor(/datagrams on udp 127\.0\.0\.1:(\d+)/, 30_000))[1]);
    const e = emu;
    const timer = cut ? setTimeout(() => e.cut(1, "silent"), 4000) : undefined;
    await srtCaller(ref, port);
    clearTimeout(timer);
    await listener.settle();
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
    await listener.stop();
    const errors = await decodeErrors(out);
    const frames = await videoFrames(out);
    const want = await videoFrames(ref);
    console.log(
      `SRT caller -> send (live 800 ms, 3 emulated links${cut ? ", link 1 silent at 4 s" : ""}) ` +
        `-> receive -> srt-live-transmit listener: ${listener.received} bytes, ${frames} video ` +
        `frames (${baseline} without the bond, ${want} in the file); decode errors: ${
          errors === "" ? "none" : errors.split("\n").length + " lines"
        }; sender: ` + (/datagram streams \(.*$/m.exec(sent.stderr)?.[0] ?? ""),
    );
    assert.match(sent.stderr, /udp: \d+ datagrams in, [1-9]\d* out/, "SRT's answers came back");
    // Live mode drops what a starved machine cannot deliver in time (CI runs this beside other
    // work): the stream must arrive, at most a tenth short of the direct run.
    assert.ok(frames >= 0.9 * baseline, `${frames} frames, ${baseline} without the bond`);
    if (!cut) assert.equal(errors, "", "the listener's file decodes with no error");
  } finally {
    await listener.stop();
    await emu?.close();
    await lab.close();
  }
}

Deno.test({
  name: "1. SRT from ffmpeg through live UDP mode to an SRT listener, which gets the stream",
  ignore: why !== "",
  fn: () => srtThroughBond(false),
});

Deno.test({
  name: "2. the same with a link cut silently mid-stream: the SRT session survives",
  ignore: why !== "",
  fn: () => srtThroughBond(true),
});
