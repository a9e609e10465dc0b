/**
 * ffmpeg and ffprobe for the media end-to-end tests (media_test.ts, udp_live_test.ts,
 * srt_test.ts): the test pattern's arguments, running a tool, and the two checks every media
 * test makes: does the file decode with no error, and how many video frames does it hold.
 * @module
 */
import assert from "node:assert/strict";

/** Runs a tool to its end. */
export async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; err: string; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** ffmpeg's input and codec arguments for the test pattern with sound (H.264 + AAC). */
export function testPattern(seconds: number): string[] {
  return [
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=640x360:rate=25:duration=${seconds}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "50",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "96k",
  ];
}

/** What `ffmpeg -v error -i FILE -f null -` prints (empty: decodes cleanly). */
export async function decodeErrors(file: string): Promise<string> {
  const r = await run("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"]);
  return (r.err + (r.code !== 0 ? `\n(exit ${r.code})` : "")).trim();
}

/** Video frames in a file, counted by decoding. */
export async function videoFrames(file: string): Promise<number> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-count_frames",
    "-show_entries",
    "stream=nb_read_frames",
    "-of",
    "csv=p=0",
    file,
  ]);
  // MPEG-TS lists the stream once per program too: one line each, with the same count.
  const n = Number(r.out.trim().split(/\s+/)[0]);
  assert.ok(Number.isFinite(n) && n >= 0, `ffprobe counted no frames in ${file}: ${r.out}${r.err}`);
  return n;
}
