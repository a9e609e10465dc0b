/**
 * docs/ENCODER.md's examples keep working: the ffmpeg wrapper parses (bash -n) and, where
 * ffmpeg is installed, runs in a closed loop against a real `bondctl send` over two emulated
 * loopback links: when the links shrink, the bond's recommendation falls and the wrapper
 * restarts ffmpeg at a lower bitrate. The OBS script must parse (luac -p) where Lua is here.
 */
import assert from "node:assert/strict";
import { haveTool } from "../_helpers/bondctl.ts";
import { Lab, WAIT_MS, within } from "../e2e/_e2e.ts";
import { startEmulator } from "../../core/emulator/relay_io.ts";

const DOC = new URL("../../docs/ENCODER.md", import.meta.url);

/** The first fenced block of `lang` in docs/ENCODER.md. */
async function block(lang: string): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)\\n```").exec(text);
  assert.ok(m, `docs/ENCODER.md has no ${lang} block`);
  return m[1] + "\n";
}

async function check(cmd: string, args: string[], script: string, ext: string) {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/script.${ext}`;
    await Deno.writeTextFile(file, script);
    const r = await new Deno.Command(cmd, { args: [...args, file], stderr: "piped" }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("docs/ENCODER.md: the ffmpeg wrapper is valid bash", async () => {
  await check("bash", ["-n"], await block("bash"), "sh");
});

const hasLuac = await haveTool("luac5.4");
if (!hasLuac) console.log("skip: luac5.4 is not installed, the OBS script is not parsed");
Deno.test({
  name: "docs/ENCODER.md: the OBS script is valid Lua",
  ignore: !hasLuac,
  async fn() {
    await check("luac5.4", ["-p"], await block("lua"), "lua");
  },
});

const hasFfmpeg = await haveTool("ffmpeg");
if (!hasFfmpeg) console.log("skip: ffmpeg is not installed, the encoder wrapper is not run");
Deno.test({
  name: "the ffmpeg wrapper follows send --bitrate-file down when the links shrink",
  ignore: !hasFfmpeg,
  async fn() {
    const lab = await Lab.open();
    let emu: Awaited<ReturnType<typeof startEmulator>> | null = null;
    let wrapper: Deno.ChildProcess | null = null;
    try {
      // A small clip stands in for the camera (-re makes it play in real time).
      const clip = lab.path("clip.ts");
      const made = await new Deno.Command("ffmpeg", {
        args: [
          ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"],
          "testsrc2=size=320x180:rate=25",
          ...["-f", "lavfi", "-i", "sine=frequency=440", "-t", "60", "-c:v", "libx264"],
          ...["-preset", "ultrafast", "-c:a", "aac", "-f", "mpegts", clip],
        ],
        stderr: "piped",
      }).output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      const script = lab.path("encoder-follow.sh");
      await Deno.writeTextFile(script, await block("bash"));

      const r = await lab.receiver(["--once", "--output", lab.path("out.ts")]);
      emu = await startEmulator({ links: ["3mbit/10ms", "3mbit/10ms"], target: r.server });
      const rateFile = lab.path("bitrate");
      const sender = lab.spawn([
        ...["send", "--server", r.server, "--pin", r.pin, "--token-file", lab.tokenFile],
        ...["--link", `127.0.0.2,via=127.0.0.1:${emu.ports[0]}`],
        ...["--link", `127.0.0.3,via=127.0.0.1:${emu.ports[1]}`],
        ...["--bitrate-file", rateFile],
      ], { stdin: "piped" });
      wrapper = new Deno.Command("bash", {
        args: [script],
        env: {
          SOURCE: clip,
          BITRATE_FILE: rateFile,
          MAX_KBPS: "2000",
          MIN_KBPS: "150",
          AUDIO_KBPS: "64",
          CHECK_SECONDS: "0.5",
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const piped = wrapper.stdout.pipeTo(sender.child.stdin).catch(() => {});
      const lines: string[] = [];
      const rates: number[] = [];
      const lowered = new Promise<number>((resolve) => {
        (async () => {
          for await (const chunk of wrapper!.stderr.pipeThrough(new TextDecoderStream())) {
            for (const line of chunk.split("\n").filter(Boolean)) {
              lines.push(line);
              const m = /encoding at (\d+) kbit\/s/.exec(line);
              if (m) rates.push(Number(m[1]));
              if (m && Number(m[1]) < 1000) resolve(Number(m[1]));
            }
          }
        })();
      });
      // Running at the top of its range, with the links to spare: no restart.
      await within(sender.waitFor(/link 2 .*joined/, WAIT_MS), WAIT_MS, "both links up");
      await new Promise((res) => setTimeout(res, 4000));
      assert.deepEqual(rates, [2000], lines.join("\n"));
      const before = Number((await Deno.readTextFile(rateFile)).trim());
      assert.ok(before >= 2e6, `recommendation ${before} bit/s with 6 Mbit/s of links`);
      // The links shrink to 0.8 Mbit/s together: the encoder must follow.
      emu.setRate(1, 400e3);
      emu.setRate(2, 400e3);
      const low = await within(lowered, WAIT_MS, `a restart below 1000 kbit/s:\n${lines}`);
      // The recommendation follows the rate estimates, which settle over a second or two after
      // a drop (one reading at the instant of the restart was 1.04 Mbit/s, once in four runs):
      // the median of five readings over two seconds is what it recommends now.
      const readings: number[] = [];
      for (let i = 0; i < 5; i++) {
        readings.push(Number((await Deno.readTextFile(rateFile)).trim()));
        await new Promise((res) => setTimeout(res, 500));
      }
      const after = [...readings].sort((a, b) => a - b)[2];
      console.log(
        `recommendation ${(before / 1e6).toFixed(2)} -> ${(after / 1e6).toFixed(2)} Mbit/s ` +
          `(${readings.map((r) => (r / 1e6).toFixed(2)).join(", ")}); ` +
          `encoder restarted at ${low} kbit/s (${rates.join(" -> ")})`,
      );
      assert.ok(low >= 150 && low < 1000);
      assert.ok(after < 1e6, `recommendation ${after} bit/s on 0.8 Mbit/s of links: ${readings}`);
      sender.kill("SIGKILL");
      await sender.done;
      await piped;
    } finally {
      if (wrapper) {
        // The wrapper's ffmpeg runs as its child: end it by its pid, then the wrapper.
        const kids = await new Deno.Command("pgrep", { args: ["-P", String(wrapper.pid)] })
          .output();
        for (const pid of new TextDecoder().decode(kids.stdout).split("\n").filter(Boolean)) {
          try {
            Deno.kill(Number(pid), "SIGKILL");
          } catch { /* gone */ }
        }
        try {
          wrapper.kill("SIGKILL");
        } catch { /* gone */ }
        await wrapper.status;
        await wrapper.stderr.cancel().catch(() => {});
      }
      await lab.close();
      await emu?.close();
    }
  },
});
