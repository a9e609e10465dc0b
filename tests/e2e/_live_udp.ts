/**
 * Helpers of the live UDP and SRT end-to-end tests (udp_live_test.ts, srt_test.ts): the
 * reference stream (made once per process), decode checks with ffmpeg and ffprobe, a UDP sink
 * that writes a file and times each datagram, a paced UDP source.
 * @module
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { haveTool } from "../_helpers/bondctl.ts";
import { until } from "./_e2e.ts";
import { decodeErrors, run, testPattern, videoFrames } from "../_helpers/media.ts";

export { decodeErrors, run, videoFrames };

/** Length of the reference stream (s). */
export const SECONDS = 10;
export const hasFfmpeg = (await haveTool("ffmpeg")) && (await haveTool("ffprobe"));

let reference: Promise<string> | null = null;

/**
 * The 10 s test pattern with sound (H.264 + AAC in MPEG-TS), made once per process in a temp
 * dir that is removed at exit; returns its path.
 */
export function referenceStream(): Promise<string> {
  reference ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "bondctl-live-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* gone */ }
    });
    const path = `${dir}/ref.ts`;
    await makeReference(path);
    return path;
  })();
  return reference;
}

async function makeReference(path: string): Promise<void> {
  const r = await run("ffmpeg", ["-v", "error", ...testPattern(SECONDS), "-f", "mpegts", path]);
  assert.equal(r.code, 0, r.err);
}

/** A UDP listener that appends every datagram to a file and notes when each came. */
export async function udpSink(path: string) {
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const at: number[] = [];
  let writing = Promise.resolve();
  socket.on("message", (msg: Uint8Array) => {
    at.push(performance.now());
    const copy = Uint8Array.from(msg);
    writing = writing.then(async () => {
      for (let off = 0; off < copy.length;) off += await file.write(copy.subarray(off));
    });
  });
  return {
    port: socket.address().port,
    at,
    /** Longest time between two datagrams (ms). */
    longestPause(): number {
      let worst = 0;
      for (let i = 1; i < at.length; i++) worst = Math.max(worst, at[i] - at[i - 1]);
      return worst;
    },
    async close() {
      socket.close();
      await writing;
      file.close();
    },
  };
}

/** Sends `bytes` as 1316-octet datagrams (7 TS packets) evenly over `seconds`. */
export async function pacedSource(
  bytes: Uint8Array,
  port: number,
  seconds: number,
): Promise<number> {
  const socket = dgram.createSocket("udp4");
  const size = 1316;
  const count = Math.ceil(bytes.length / size);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * seconds * 1000) / count;
    const wait = due - performance.now();
    if (wait > 2) await new Promise((r) => setTimeout(r, wait));
    socket.send(
      bytes.subarray(i * size, Math.min(bytes.length, (i + 1) * size)),
      port,
      "127.0.0.1",
    );
  }
  await new Promise((r) => setTimeout(r, 20));
  socket.close();
  return count;
}

/** Waits until `sink` has had nothing for `quietMs` (after something came). */
export async function quiet(sink: { at: number[] }, quietMs: number): Promise<void> {
  await until(
    () => sink.at.length > 0 && performance.now() - sink.at[sink.at.length - 1] > quietMs,
    "the stream to end at the sink",
    45_000,
  );
}
