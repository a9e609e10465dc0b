/**
 * `send --stats`, `--bitrate-file` and their errors, with real processes over loopback: every
 * line of a real session validates against the schema docs/STATS.md prints, the figures add
 * up, the bitrate file is replaced (never edited in place) while the session runs, and bad
 * paths or clashing outputs are one clear error line.
 */
import assert from "node:assert/strict";
import { assertOneErrorLine, exited, Lab, WAIT_MS, within } from "./_e2e.ts";
import { loopbackLinks } from "../_helpers/bondctl.ts";
import { type StatusSnapshot, StatusSnapshotSchema } from "../../core/status/snapshot.ts";
import { pacedInput } from "../status/_paced.ts";

Deno.test("send --stats: one valid line a second, and a last one; the bitrate file is replaced", async () => {
  const lab = await Lab.open();
  try {
    const r = await lab.receiver(["--once", "--output", lab.path("out.bin")]);
    const stats = lab.path("stats.jsonl");
    const rate = lab.path("bitrate");
    const sender = lab.spawn([
      ...["send", "--server", r.server, "--pin", r.pin, "--token-file", lab.tokenFile],
      ...loopbackLinks(3),
      ...["--stats", stats, "--bitrate-file", rate],
    ], { stdin: "piped" });
    const input = pacedInput(sender.child.stdin.getWriter(), 8e6);
    await sender.waitFor(/link 3 .*joined/, WAIT_MS);
    // While it runs: the file is replaced by rename, so each version is a new inode.
    const inodes = new Set<number>();
    const values: number[] = [];
    const until = performance.now() + 3000;
    while (performance.now() < until) {
      const st = await Deno.stat(rate).catch(() => null);
      if (st?.ino) inodes.add(st.ino);
      const text = await Deno.readTextFile(rate).catch(() => "");
      if (text) {
        assert.match(text, /^\d+\n$/, "one whole number, never half of one");
        values.push(Number(text));
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(inodes.size >= 4, `${inodes.size} versions of the bitrate file in 3 s`);
    assert.ok(values.at(-1)! > 0);
    await input.stop();
    const exit = await exited(sender);
    assert.equal(exit.code, 0, exit.stderr);

    const lines = (await Deno.readTextFile(stats)).trim().split("\n");
    const snaps: StatusSnapshot[] = lines.map((l, i) => {
      const parsed = StatusSnapshotSchema.safeParse(JSON.parse(l));
      assert.ok(parsed.success, `line ${i + 1}: ${parsed.error?.message}\n${l}`);
      return parsed.data;
    });
    assert.ok(snaps.length >= 4, `${snaps.length} lines`);
    for (let i = 1; i < snaps.length; i++) {
      assert.ok(Date.parse(snaps[i].time) >= Date.parse(snaps[i - 1].time), "time goes on");
      assert.ok(snaps[i].uptimeMs > snaps[i - 1].uptimeMs);
    }
    const running = snaps.filter((s) => s.sessions[0]?.state === "open");
    assert.ok(running.length >= 2);
    // While data flowed: three links with traffic, the totals their sum, a recommendation.
    const mid = running.at(-1)!.sessions[0];
    assert.equal(mid.links.length, 3);
    assert.ok(mid.totals.sentBps > 0);
    const sum = mid.links.reduce((s, l) => s + l.sentBps, 0);
    assert.ok(Math.abs(sum - mid.totals.sentBps) <= 3, `${sum} vs ${mid.totals.sentBps}`);
    assert.ok(mid.bitrate && mid.bitrate.recommendedBps > 0 && mid.bitrate.links.length === 3);
    // The last line: the session over, everything read delivered.
    const last = snaps.at(-1)!.sessions[0];
    assert.equal(last.state, "complete");
    assert.equal(last.totals.inputBytes, input.bytes);
    assert.equal(last.totals.deliveredBytes, input.bytes);
    const sent = last.links.reduce((s, l) => s + l.sentBytes, 0);
    assert.ok(sent >= input.bytes, "every byte went out on some link");
  } finally {
    await lab.close();
  }
});

Deno.test("send --stats - writes the lines to stdout", async () => {
  const lab = await Lab.open();
  try {
    const r = await lab.receiver(["--once", "--output", lab.path("out.bin")]);
    await Deno.writeFile(lab.path("in.bin"), new Uint8Array(256 * 1024));
    const run = await lab.run([
      ...["send", "--server", r.server, "--pin", r.pin, "--token-file", lab.tokenFile],
      ...loopbackLinks(2),
      ...["--input", lab.path("in.bin"), "--stats", "-"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.ok(lines.length >= 1);
    for (const l of lines) StatusSnapshotSchema.parse(JSON.parse(l));
    const last = StatusSnapshotSchema.parse(JSON.parse(lines.at(-1)!));
    assert.equal(last.sessions[0].totals.deliveredBytes, 256 * 1024);
  } finally {
    await lab.close();
  }
});

Deno.test("--stats, --bitrate-file and --ui errors are one clear line", async () => {
  const lab = await Lab.open();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const base = [
      ...["send", "--server", "127.0.0.1:9", "--pin", "sha256:" + "ab".repeat(32)],
      ...["--token-file", lab.tokenFile, "--input", "/dev/null"],
    ];
    const cases: [string[], RegExp][] = [
      [["--stats", "-", "--output", "-"], /--stats - and --output - both write to standard/],
      [["--stats", lab.path("no/such/dir/s.jsonl")], /cannot open --stats .*no\/such\/dir/],
      [["--bitrate-file", lab.path("none/b")], /--bitrate-file .*the directory .* does not exist/],
      [["--bitrate-file", lab.dir], /--bitrate-file .* is a directory/],
      [
        ["--ui", `127.0.0.1:${(busy.addr as Deno.NetAddr).port}`],
        /cannot listen on --ui 127\.0\.0\.1:\d+: the address is already in use/,
      ],
    ];
    for (const [args, cause] of cases) {
      const exit = await within(lab.run([...base, ...args]), WAIT_MS, args.join(" "));
      assertOneErrorLine(exit, cause);
    }
    const bad = await lab.run([...base, "--ui", "127.0.0.1:http"]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--ui/);
  } finally {
    busy.close();
    await lab.close();
  }
});

Deno.test({
  name: "receive --stats: a line a second with the session, its links and its buffer",
  async fn() {
    const lab = await Lab.open();
    try {
      const stats = lab.path("relay.jsonl");
      const r = await lab.receiver(["--once", "--output", lab.path("out.bin"), "--stats", stats]);
      const sender = lab.spawn([
        ...["send", "--server", r.server, "--pin", r.pin, "--token-file", lab.tokenFile],
        ...loopbackLinks(2),
      ], { stdin: "piped" });
      const input = pacedInput(sender.child.stdin.getWriter(), 8e6);
      await sender.waitFor(/link 2 .*joined/, WAIT_MS);
      await new Promise((res) => setTimeout(res, 2500));
      await input.stop();
      assert.equal((await exited(sender)).code, 0);
      assert.equal((await exited(r.proc)).code, 0);
      const snaps = (await Deno.readTextFile(stats)).trim().split("\n")
        .map((l) => StatusSnapshotSchema.parse(JSON.parse(l)));
      const withSession = snaps.filter((s) => s.sessions.length === 1);
      assert.ok(withSession.length >= 2, `${withSession.length} lines with the session`);
      const s = withSession.at(-1)!.sessions[0];
      assert.equal(s.client, "shared");
      assert.equal(s.links.length, 2);
      assert.ok(s.links.every((l) => l.receivedBytes > 0));
      assert.equal(s.bitrate, null);
      assert.ok(s.buffer.heldBytes !== null);
      assert.ok(withSession.some((x) => x.sessions[0].totals.receivedBps > 0));
    } finally {
      await lab.close();
    }
  },
});

Deno.test("receive --stats - with --output - is refused: both would write to stdout", async () => {
  const lab = await Lab.open();
  try {
    const exit = await lab.run([
      ...["receive", "--listen", "127.0.0.1:0", "--self-signed", "--token-file", lab.tokenFile],
      ...["--stats", "-"],
    ]);
    assertOneErrorLine(exit, /--stats - and --output - both write to standard output/);
  } finally {
    await lab.close();
  }
});
