/**
 * `ClientSession.addLink()` / `removeLink()` against a real `bondctl receive` on loopback
 * (no root needed): a session opened on 127.0.0.2 gains 127.0.0.3 and 127.0.0.4 mid-stream,
 * loses its first link, gets 127.0.0.5 under the index of the link it lost (a link that
 * rejoins), and delivers every byte once, in order.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { LinkCaps } from "../../core/frame/types.ts";
import { type ClientLink, openClientSession } from "../../core/session/client_io.ts";
import type { Source } from "../../core/session/driver_io.ts";
import { proportionalPolicy } from "../../core/scheduler/proportional.ts";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import { Lab } from "./_e2e.ts";

const MiB = 1024 * 1024;

const link = (index: number, address: string): ClientLink => {
  const caps: LinkCaps = {
    kind: "loopback",
    name: `lo${index}`,
    localAddress: address,
    cost: 1,
    priority: "primary",
  };
  return { index, caps };
};

/** TOTAL random bytes in 64 KiB pieces, a piece every `gapMs`, hashed as they go. */
function pacedSource(total: number, gapMs: number, onRead: (n: number) => void) {
  const hash = createHash("sha256");
  let read = 0;
  let closed = false;
  const source: Source = {
    async read() {
      if (closed || read >= total) return null;
      await new Promise((r) => setTimeout(r, gapMs));
      const piece = new Uint8Array(Math.min(64 * 1024, total - read));
      crypto.getRandomValues(piece);
      hash.update(piece);
      read += piece.length;
      onRead(read);
      return piece;
    },
    close() {
      closed = true;
    },
  };
  return { source, digest: () => hash.digest("hex") };
}

Deno.test("a client session takes links added and removed while it runs, losing nothing", async () => {
  const lab = await Lab.open();
  try {
    const out = lab.path("out.bin");
    const r = await lab.receiver(["--output", out, "--once"]);
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(`warning: ${m}`),
      debug: () => {},
    };
    const steps: [number, () => void][] = [];
    const { source, digest } = pacedSource(8 * MiB, 4, (n) => {
      while (steps.length && n >= steps[0][0]) steps.shift()![1]();
    });
    const session = await openClientSession(
      {
        host: "127.0.0.1",
        port: r.port,
        trust: { kind: "pin", pin: r.pin },
        token: new TextEncoder().encode((await Deno.readTextFile(lab.tokenFile)).trim()),
        oui: DEFAULT_VPN_OUI,
        links: [link(1, "127.0.0.2")],
        policy: proportionalPolicy(),
        maxBufferBytes: 32 * MiB,
        linkTimeoutMs: 30_000,
        handshakeTimeoutMs: 10_000,
        log,
      },
      source,
      null,
    );
    assert.throws(
      () => session.addLink(link(1, "127.0.0.9")),
      /link index 1 is already in the session/,
    );
    assert.equal(session.removeLink(42), false);
    steps.push(
      [1 * MiB, () => session.addLink(link(2, "127.0.0.3"))],
      [2 * MiB, () => session.addLink(link(3, "127.0.0.4"))],
      [4 * MiB, () => assert.equal(session.removeLink(1), true)],
      [5 * MiB, () => session.addLink(link(1, "127.0.0.5"))],
    );
    const outcome = await session.driver.done;
    assert.deepEqual(outcome, { kind: "complete" }, lines.join("\n"));
    const receiver = await r.proc.done;
    assert.equal(receiver.code, 0, receiver.stderr);
    const got = createHash("sha256").update(await Deno.readFile(out)).digest("hex");
    assert.equal(got, digest(), "the output differs from the input");
    for (const name of ["lo2", "lo3"]) {
      assert.ok(
        lines.some((l) => l === `link ${name.slice(2)} (${name}) joined`),
        lines.join("\n"),
      );
    }
    // Index 1 left (closed by removeLink, not redialled) and came back from another address.
    assert.ok(lines.includes("link 1 (lo1) joined"), lines.join("\n"));
    assert.match(receiver.stderr, /link 1 \(lo1\) joined from 127\.0\.0\.5/);
    assert.equal(steps.length, 0, "every step ran mid-stream");
  } finally {
    await lab.close();
  }
});
