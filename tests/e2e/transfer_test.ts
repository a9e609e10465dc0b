/**
 * End-to-end transfers with the real `bondctl receive` and `bondctl send` processes over
 * loopback links: one link, an output on /dev, two links, the reverse direction (server to
 * client), both directions at once, and IPv6. Each checks exit codes and SHA-256 of what
 * arrived (the /dev/null one what the relay says it wrote).
 * @module
 */
import assert from "node:assert/strict";
import { randomFile, sha256File } from "../_helpers/bondctl.ts";
import { assertNoStack, type Exit, exited, ipv6Loopback, Lab } from "./_e2e.ts";

const MiB = 1 << 20;

/** `{ index: share % }` from the sender's closing "link N NAME: ... (P %)" lines. */
function linkShares(stderr: string): Map<string, number> {
  const shares = new Map<string, number>();
  for (const m of stderr.matchAll(/^bondctl send: +link \d+ (\S+): .*\(([\d.]+) %\)/gm)) {
    shares.set(m[1], Number(m[2]));
  }
  return shares;
}

function assertClean(who: string, exit: Exit): void {
  assert.equal(exit.code, 0, `${who} should exit 0; its stderr:\n${exit.stderr}`);
  assertNoStack(exit.stderr);
}

/** Sends a random file of `size` over `links` to a `--once` receiver; checks both ends. */
async function sendOver(links: string[], size: number, host = "127.0.0.1") {
  const lab = await Lab.open();
  try {
    const input = await randomFile(lab.dir, size);
    const output = lab.path("out.bin");
    const r = await lab.receiver(["--once", "--output", output], { host });
    const s = lab.sender(r, ["--input", input, ...links.flatMap((l) => ["--link", l])]);
    const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
    assertClean("send", sent);
    assertClean("receive", received);
    assert.equal((await Deno.stat(output)).size, size, "output size");
    assert.equal(await sha256File(output), await sha256File(input), "SHA-256 of the output");
    return { sent, received };
  } finally {
    await lab.close();
  }
}

Deno.test("send delivers 16 MiB over one link intact", async () => {
  const { sent, received } = await sendOver(["127.0.0.2"], 16 * MiB);
  assert.match(received.stderr, /session \w+ complete/);
  assert.deepEqual([...linkShares(sent.stderr).keys()], ["127.0.0.2"]);
});

Deno.test("--output /dev/null and --stats /dev/stderr work after bondctl gave up permissions", async () => {
  // Deno asks for every permission to mkdir or stat under /dev; receive gives some up at start,
  // so the output's directory must not be made when it exists (every session used to fail).
  const lab = await Lab.open();
  try {
    const input = await randomFile(lab.dir, 4 * MiB);
    // --stats to /dev/stderr: Deno refuses that path too, so bondctl writes to its own stderr.
    const r = await lab.receiver(["--once", "--output", "/dev/null", "--stats", "/dev/stderr"]);
    const s = lab.sender(r, ["--input", input, "--link", "127.0.0.2", "--stats", "/dev/stderr"]);
    const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
    assertClean("send", sent);
    assertClean("receive", received);
    assert.match(received.stderr, /session \w+ complete: 4\.0 MiB written to the output/);
    for (const [who, exit] of [["send", sent], ["receive", received]] as const) {
      const line = exit.stderr.split("\n").find((l) => l.startsWith("{"));
      assert.ok(line, `${who}: no --stats line on stderr:\n${exit.stderr}`);
      assert.equal(JSON.parse(line).role, who, line);
    }
  } finally {
    await lab.close();
  }
});

Deno.test("send delivers 16 MiB over two links intact", async () => {
  const { sent, received } = await sendOver(["127.0.0.2", "127.0.0.3"], 16 * MiB);
  assert.match(received.stderr, /link 2 \(127\.0\.0\.3\) joined from 127\.0\.0\.3:/);
  assert.match(received.stderr, /opened by 127\.0\.0\.2:\d+ on link 1/);
  const shares = linkShares(sent.stderr);
  assert.deepEqual([...shares.keys()], ["127.0.0.2", "127.0.0.3"], sent.stderr);
  for (const [link, share] of shares) {
    assert.ok(share > 0, `link ${link} carried none of the data:\n${sent.stderr}`);
  }
});

Deno.test("receive --input reaches send --output (the reverse direction) intact", async (t) => {
  for (
    const [what, makeInput] of [
      ["send --input /dev/null", () => Promise.resolve("/dev/null")],
      ["send --input of an empty file", async (lab: Lab) => {
        await Deno.writeFile(lab.path("empty"), new Uint8Array());
        return lab.path("empty");
      }],
    ] as const
  ) {
    await t.step(what, async () => {
      const lab = await Lab.open();
      try {
        const back = await randomFile(lab.dir, 8 * MiB, "back.bin");
        const out2 = lab.path("out2.bin");
        const got = lab.path("got.bin");
        const r = await lab.receiver(["--input", back, "--once", "--output", out2]);
        const s = lab.sender(r, [
          "--input",
          await makeInput(lab),
          "--output",
          got,
          "--link",
          "127.0.0.2",
          "--link",
          "127.0.0.3",
        ]);
        const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
        assertClean("send", sent);
        assertClean("receive", received);
        assert.equal(await sha256File(got), await sha256File(back), "SHA-256 of send --output");
        assert.equal((await Deno.stat(out2)).size, 0, "the receiver's output should be empty");
      } finally {
        await lab.close();
      }
    });
  }
});

Deno.test("send and receive carry 8 MiB each way at once intact", async () => {
  const lab = await Lab.open();
  try {
    const up = await randomFile(lab.dir, 8 * MiB, "up.bin");
    const down = await randomFile(lab.dir, 8 * MiB, "down.bin");
    const upOut = lab.path("up.out");
    const downOut = lab.path("down.out");
    const r = await lab.receiver(["--input", down, "--once", "--output", upOut]);
    const s = lab.sender(r, [
      "--input",
      up,
      "--output",
      downOut,
      "--link",
      "127.0.0.2",
      "--link",
      "127.0.0.3",
    ]);
    const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
    assertClean("send", sent);
    assertClean("receive", received);
    assert.equal(await sha256File(upOut), await sha256File(up), "sender to receiver");
    assert.equal(await sha256File(downOut), await sha256File(down), "receiver to sender");
  } finally {
    await lab.close();
  }
});

const v6 = await ipv6Loopback();
if (!v6.ok) console.log(`skipping the IPv6 test: ::1 is not usable here (${v6.why})`);

Deno.test({
  name: "send delivers 8 MiB over IPv6 ([::1]) intact",
  ignore: !v6.ok,
  fn: async () => {
    const { sent, received } = await sendOver(["::1"], 8 * MiB, "::1");
    assert.match(received.stderr, /listening on \[::1\]:\d+/);
    assert.match(received.stderr, /opened by \[::1\]:\d+ on link 1 \(::1\)/);
    assert.match(sent.stderr, /delivered .*8\.0 MiB/);
  },
});
