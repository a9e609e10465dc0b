/**
 * End-to-end media through the bond with the real tools (Debian's ffmpeg, nginx with the RTMP
 * module), over loopback links, in order:
 * 1. MPEG-TS piped: ffmpeg makes a test pattern with sound (testsrc2 + sine, H.264 + AAC) into
 *    `bondctl send`'s stdin; the file `bondctl receive` writes decodes with no error and has the
 *    same number of video frames as the source; again with a link killed mid-stream;
 * 2. RTMP: ffmpeg publishes to `send --input tcp-listen://`, the relay forwards with
 *    `--output tcp://` to nginx-rtmp, and a puller records from nginx: the recording has video
 *    and audio and decodes with no error; again with a link killed at half time.
 * Durations: BONDCTL_MEDIA_SECONDS (default 10; the closing note's figures use 30).
 * @module
 */
import assert from "node:assert/strict";
import { haveTool } from "../_helpers/bondctl.ts";
import { exited, Lab } from "./_e2e.ts";
import { decodeErrors, run, testPattern, videoFrames } from "../_helpers/media.ts";

const SECONDS = Number(Deno.env.get("BONDCTL_MEDIA_SECONDS") ?? "10");
/** When a link dies in the kill variants: at 10 s (the goal), or half-way if shorter. */
const KILL_AT_MS = SECONDS >= 20 ? 10_000 : SECONDS * 500;
const hasFfmpeg = (await haveTool("ffmpeg")) && (await haveTool("ffprobe"));
const hasNginx = await haveTool("nginx");
const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";
const hasRtmp = hasNginx && (await Deno.stat(RTMP_MODULE).catch(() => null)) !== null;
const root = Deno.uid?.() === 0;
const hasSs = await haveTool("ss");
if (!hasFfmpeg) console.log("skip: media tests need ffmpeg and ffprobe (Debian: ffmpeg)");
if (!hasRtmp) {
  console.log("skip: the RTMP test needs nginx with the RTMP module (libnginx-mod-rtmp)");
}
if (!(root && hasSs)) console.log("skip: media link kills need root and ss");

async function streamTypes(file: string): Promise<string[]> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "stream=codec_type",
    "-of",
    "csv=p=0",
    file,
  ]);
  // MPEG-TS lists each stream again under its program: count kinds, not entries.
  return [...new Set(r.out.trim().split("\n").map((s) => s.trim()).filter(Boolean))].sort();
}

async function killLink(addr: string, port: number): Promise<void> {
  const k = await new Deno.Command("ss", {
    args: ["-K", "src", addr, "dport", "=", String(port)],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.ok(k.success, "ss -K");
}

async function pipedTs(kill: boolean) {
  const lab = await Lab.open();
  try {
    // The reference: the same pattern into a file, for its frame count.
    const ref = lab.path("ref.ts");
    const made = await run("ffmpeg", ["-v", "error", ...testPattern(SECONDS), "-f", "mpegts", ref]);
    assert.equal(made.code, 0, made.err);
    const out = lab.path("out.ts");
    const r = await lab.receiver(["--once", "--output", out]);
    const s = lab.spawn([
      "send",
      "--server",
      r.server,
      "--pin",
      r.pin,
      "--token-file",
      lab.tokenFile,
      "--link",
      "127.0.0.2",
      "--link",
      "127.0.0.3",
      "--link",
      "127.0.0.4",
    ], { stdin: "piped" });
    // ffmpeg at real time (-re), so that the stream is live while a link dies.
    const ff = new Deno.Command("ffmpeg", {
      args: ["-v", "error", "-re", ...testPattern(SECONDS), "-f", "mpegts", "-"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const piping = ff.stdout.pipeTo(s.child.stdin);
    if (kill) {
      await new Promise((res) => setTimeout(res, KILL_AT_MS));
      await killLink("127.0.0.3", r.port);
    }
    const ffDone = await ff.output().catch(() => null);
    await piping.catch(() => {});
    assert.ok(ffDone === null || ffDone.code === 0, "ffmpeg made the stream");
    const [sent, received] = await Promise.all([exited(s, 60_000), exited(r.proc, 60_000)]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.equal(received.code, 0, received.stderr);
    assert.equal(await decodeErrors(out), "", "the output decodes with no error");
    const [want, got] = [await videoFrames(ref), await videoFrames(out)];
    console.log(`video frames: source ${want}, through the bond ${got}`);
    assert.equal(got, want, "as many video frames as the source");
    assert.ok(want >= SECONDS * 25 - 1);
    if (kill) assert.match(sent.stderr, /link 2 .*closed/);
  } finally {
    await lab.close();
  }
}

Deno.test({
  name: "1a. MPEG-TS from ffmpeg piped through the bond decodes with every video frame",
  ignore: !hasFfmpeg,
  fn: () => pipedTs(false),
});

Deno.test({
  name: "1b. the same with a link killed mid-stream",
  ignore: !hasFfmpeg || !(root && hasSs),
  fn: () => pipedTs(true),
});

/** A private nginx with the RTMP module on a free port; stopped by `stop()`. */
async function startNginx(dir: string) {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  const conf = `${dir}/nginx.conf`;
  await Deno.writeTextFile(
    conf,
    `load_module ${RTMP_MODULE};
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 64; }
rtmp {
  server {
    listen 127.0.0.1:${port};
    # A player that joins mid-stream starts at a key frame, as a platform's player would.
    application live { live on; record off; wait_key on; wait_video on; }
  }
}
`,
  );
  const child = new Deno.Command("nginx", {
    args: ["-p", dir, "-c", conf],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Ready once it accepts connections.
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.output().catch(() => {});
    },
  };
}

async function rtmpThrough(kill: boolean) {
  const lab = await Lab.open();
  const nginx = await startNginx(lab.dir);
  try {
    const r = await lab.receiver(["--output", `tcp://127.0.0.1:${nginx.port}`]);
    const s = lab.sender(r, [
      "--input",
      "tcp-listen://127.0.0.1:0",
      "--link",
      "127.0.0.2",
      "--link",
      "127.0.0.3",
      "--link",
      "127.0.0.4",
    ]);
    const port = Number((await s.waitFor(/intercepting TCP on 127\.0\.0\.1:(\d+)/, 30_000))[1]);
    const publish = new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-re",
        ...testPattern(SECONDS),
        "-f",
        "flv",
        `rtmp://127.0.0.1:${port}/live/streamkey`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // The puller joins once nginx has the stream, and records it until it ends.
    await new Promise((res) => setTimeout(res, 1500));
    const rec = lab.path("pulled.ts");
    const pull = new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-rw_timeout",
        "3000000",
        "-i",
        `rtmp://127.0.0.1:${nginx.port}/live/streamkey`,
        "-c",
        "copy",
        "-f",
        "mpegts",
        rec,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    if (kill) {
      await new Promise((res) => setTimeout(res, KILL_AT_MS - 1500));
      await killLink("127.0.0.3", r.port);
    }
    const pub = await publish.output();
    assert.equal(pub.code, 0, `ffmpeg publish: ${new TextDecoder().decode(pub.stderr)}`);
    // The puller ends by itself 3 s after the stream stops (-rw_timeout); a stuck one is
    // killed, which the decode check below then reports.
    const pulled = await Promise.race([
      pull.output(),
      new Promise<null>((res) => setTimeout(() => res(null), 20_000)),
    ]);
    if (pulled === null) pull.kill("SIGKILL");
    const types = await streamTypes(rec);
    assert.deepEqual(types, ["audio", "video"], "nginx served video and audio");
    assert.equal(await decodeErrors(rec), "", "the pulled stream decodes with no error");
    const frames = await videoFrames(rec);
    console.log(`RTMP through the bond: ${frames} video frames pulled from nginx (${SECONDS} s)`);
    assert.ok(frames > (SECONDS - 3) * 25, `only ${frames} frames pulled`);
    s.kill("SIGINT");
    const sent = await exited(s);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stderr, /1 stream: 1 closed, 0 reset/);
    if (kill) assert.match(sent.stderr, /link 2 .*closed/);
  } finally {
    await nginx.stop();
    await lab.close();
  }
}

Deno.test({
  name: "2a. RTMP: ffmpeg publishes through the bond to nginx; the pull decodes cleanly",
  ignore: !hasFfmpeg || !hasRtmp,
  fn: () => rtmpThrough(false),
});

Deno.test({
  name: "2b. RTMP with a link killed mid-stream (at 10 s, or half-way)",
  ignore: !hasFfmpeg || !hasRtmp || !(root && hasSs),
  fn: () => rtmpThrough(true),
});
