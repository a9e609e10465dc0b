/**
 * The receiver's disk fills up mid-stream (a 2 MiB tmpfs the test mounts and unmounts): the
 * session ends with one clear error on both sides, the sender is told why, and the output
 * holds a correct prefix of the input. Skipped, with the reason, where mounting is not allowed.
 * @module
 */
import assert from "node:assert/strict";
import { randomFile } from "../_helpers/bondctl.ts";
import { assertOneErrorLine, exited, Lab } from "./_e2e.ts";
import { assertPrefix } from "./_hardening.ts";

async function run(cmd: string, ...args: string[]): Promise<{ ok: boolean; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: r.success, err: new TextDecoder().decode(r.stderr).trim() };
  } catch (e) {
    return { ok: false, err: (e as Error).message };
  }
}

/** Can this test mount a tmpfs? The reason if not. */
async function tmpfsSupport(): Promise<string | null> {
  if (Deno.uid?.() !== 0) return "mounting a tmpfs needs root";
  const dir = await Deno.makeTempDir({ prefix: "bondctl-tmpfs-probe-" });
  try {
    const m = await run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
    if (!m.ok) return `mount -t tmpfs failed: ${m.err}`;
    await run("umount", dir);
    return null;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

const noTmpfs = await tmpfsSupport();
if (noTmpfs) console.log(`skip: the disk-full test cannot mount a tmpfs: ${noTmpfs}`);

Deno.test({
  name: "receiver's disk full: a clear error on both sides and a correct prefix",
  ignore: noTmpfs !== null,
  async fn() {
    const lab = await Lab.open();
    const disk = lab.path("disk");
    await Deno.mkdir(disk);
    const mounted = await run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk);
    assert.ok(mounted.ok, mounted.err);
    try {
      const input = await randomFile(lab.dir, 8 << 20);
      const output = `${disk}/out.bin`;
      const r = await lab.receiver(["--once", "--output", output]);
      const s = lab.sender(r, ["--input", input, "--link", "127.0.0.2", "--link", "127.0.0.3"]);
      const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
      assertOneErrorLine(
        received,
        /the session ended incomplete: cannot write the output: No space left on device/,
      );
      assertOneErrorLine(
        sent,
        /the server ended the session: cannot write the output: No space left on device/,
      );
      const out = await Deno.readFile(output);
      assert.ok(out.length > 0, "something was written before the disk filled");
      assertPrefix(out, await Deno.readFile(input), "the output on the full disk");
      console.log(`disk full after ${out.length} bytes of ${8 << 20}: both sides said so`);
    } finally {
      // Unmount first (the processes have exited; if one has not, after the lab kills it),
      // so that removing the lab's directory does not run into the mount.
      const early = await run("umount", disk);
      await lab.close().catch(() => {});
      if (!early.ok) {
        await run("umount", disk);
        await Deno.remove(lab.dir, { recursive: true }).catch(() => {});
      }
    }
  },
});
