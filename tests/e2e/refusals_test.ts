/**
 * What a real `bondctl receive` refuses, and that refusing never hurts anything else: a wrong
 * token, a link that joins a live session without its key, raw TCP garbage, garbage inside
 * TLS, and a frame of another protocol version. The raw clients here are the core's own
 * `dialTls` + `FramedLink` + `clientHandshake`, run in the test process.
 * @module
 */
import assert from "node:assert/strict";
import { randomFile, sha256File } from "../_helpers/bondctl.ts";
import { dialTls } from "../../core/tunnel/tls_client_io.ts";
import type { Transport } from "../../core/tunnel/transport.ts";
import { FramedLink } from "../../core/tunnel/framed_link_io.ts";
import { AuthError } from "../../core/tunnel/errors.ts";
import { clientHandshake, newSessionId, RefusedError } from "../../core/session/handshake.ts";
import { randomBytes } from "../../core/session/auth.ts";
import {
  CloseCode,
  DEFAULT_VPN_OUI,
  type Frame,
  FrameReader,
  HEADER_LENGTH,
  type LinkCaps,
  PROTOCOL_VERSION,
} from "../../core/frame/mod.ts";
import {
  assertOneErrorLine,
  exited,
  Lab,
  type Receiver,
  seededBytes,
  until,
  WAIT_MS,
  within,
} from "./_e2e.ts";

const OUI = DEFAULT_VPN_OUI;
/** How long the server may take to close a connection it refuses. */
const CLOSE_MS = 10_000;

/** A TLS connection from the test process, closed and awaited by `close()`. */
class RawTls {
  readonly transport: Transport;
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(transport: Transport) {
    this.transport = transport;
    // A node socket nobody reads from stays paused and never sees the server's close.
    transport.onData(() => {});
    this.closed = new Promise((resolve) =>
      transport.onClose(() => {
        this.isClosed = true;
        resolve();
      })
    );
  }

  /** Dials `r` from `localAddress`, trusting its pin. */
  static async dial(r: Receiver, localAddress?: string): Promise<RawTls> {
    return new RawTls(
      await dialTls({
        host: "127.0.0.1",
        port: r.port,
        localAddress,
        trust: { kind: "pin", pin: r.pin },
        timeoutMs: WAIT_MS,
      }),
    );
  }

  async close(): Promise<void> {
    this.transport.destroy();
    await within(this.closed, WAIT_MS, "our TLS socket to close");
  }
}

/** `s` as a literal inside a RegExp. */
function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function caps(address: string): LinkCaps {
  return { kind: "loopback", name: address, localAddress: address, cost: 1, priority: "primary" };
}

/** The token as `send` would load it from the lab's token file. */
async function tokenOf(lab: Lab): Promise<Uint8Array> {
  return new TextEncoder().encode((await Deno.readTextFile(lab.tokenFile)).replace(/[\r\n]+$/, ""));
}

/** The next frame on `link` that `pick` accepts; a CLOSE fails the wait. */
async function nextMatching(link: FramedLink, what: string, pick: (f: Frame) => boolean) {
  for (;;) {
    const f = await link.next(WAIT_MS, what);
    if (pick(f)) return f;
    if (f.type === "CLOSE") assert.fail(`CLOSE (${f.code}: ${f.reason}) while waiting for ${what}`);
  }
}

Deno.test("send with the wrong token is refused with one clear line", async () => {
  const lab = await Lab.open();
  try {
    const input = await randomFile(lab.dir, 1 << 20);
    const output = lab.path("out.bin");
    await Deno.writeTextFile(lab.path("wrong-token"), "not-the-token\n");
    const r = await lab.receiver(["--once", "--output", output]);
    const s = lab.spawn([
      "send",
      "--server",
      r.server,
      "--pin",
      r.pin,
      "--token-file",
      lab.path("wrong-token"),
      "--input",
      input,
      "--link",
      "127.0.0.2",
    ]);
    assertOneErrorLine(await exited(s), /token/);
    await r.proc.waitFor(/warning: refused a link from 127\.0\.0\.2:\d+: .*token/, WAIT_MS);
    assert.equal((await Deno.stat(output)).size, 0, "nothing may reach the output");
    r.proc.kill("SIGTERM");
    await exited(r.proc);
  } finally {
    await lab.close();
  }
});

Deno.test("a link joining a live session with the wrong key is refused, the session lives on", async () => {
  const lab = await Lab.open();
  const raws: RawTls[] = [];
  const dial = async (r: Receiver, from: string) => {
    const raw = await RawTls.dial(r, from);
    raws.push(raw);
    return new FramedLink(raw.transport, OUI);
  };
  try {
    const output = lab.path("out.bin");
    const r = await lab.receiver(["--output", output]);
    const token = await tokenOf(lab);
    const sessionId = newSessionId();
    const hello = { oui: OUI, sessionId, token, timeoutMs: WAIT_MS };

    // 1. a real session, opened with the token on link 1
    const first = await dial(r, "127.0.0.2");
    const welcome = await clientHandshake(first, {
      ...hello,
      linkIndex: 1,
      caps: caps("127.0.0.2"),
    });
    await r.proc.waitFor(/session \w+ opened by 127\.0\.0\.2:\d+ on link 1/, WAIT_MS);

    // 2. a JOIN with the right session id and a random key: AuthError, logged by the server
    const intruder = await dial(r, "127.0.0.3");
    await assert.rejects(
      clientHandshake(intruder, {
        ...hello,
        linkIndex: 2,
        caps: caps("127.0.0.3"),
        sessionKey: randomBytes(32),
      }),
      (e: Error) => e instanceof AuthError && /session key/.test(e.message),
    );
    await r.proc.waitFor(
      /refused a link from 127\.0\.0\.3:\d+: the link did not prove the session key/,
      WAIT_MS,
    );

    // 3. a JOIN of a session the server never had: refused as unknown
    const stranger = await dial(r, "127.0.0.4");
    await assert.rejects(
      clientHandshake(stranger, {
        ...hello,
        sessionId: newSessionId(),
        linkIndex: 2,
        caps: caps("127.0.0.4"),
        sessionKey: welcome.sessionKey,
      }),
      (e: Error) => e instanceof RefusedError && e.code === CloseCode.UNKNOWN_SESSION,
    );

    // 4. the right key still joins (so step 2 failed for the key, nothing else)
    const member = await dial(r, "127.0.0.5");
    await clientHandshake(member, {
      ...hello,
      linkIndex: 2,
      caps: caps("127.0.0.5"),
      sessionKey: welcome.sessionKey,
    });
    await r.proc.waitFor(/link 2 \(127\.0\.0\.5\) joined from 127\.0\.0\.5:/, WAIT_MS);

    // 5. the first link still works: a PING is answered, a DATA block reaches the output
    first.send({ type: "PING", vpn: { oui: OUI, index: 1 }, ts: 4242 });
    await nextMatching(first, "the PONG", (f) => f.type === "PONG" && f.echoTs === 4242);
    const payload = new TextEncoder().encode("still in business");
    first.send({
      type: "DATA",
      vpn: { oui: OUI, index: 1 },
      streamId: 0,
      seq: 0,
      sendTs: 0,
      fin: false,
      retransmit: false,
      payload,
    });
    await until(
      async () => (await Deno.readFile(output)).length === payload.length,
      "the DATA block in the output",
    );
    assert.deepEqual(await Deno.readFile(output), payload);
    assert.ok(!raws[0].isClosed, "the first link was closed");
    assert.doesNotMatch(r.proc.lines.join("\n"), /ended incomplete|link 1 .*closed/);

    r.proc.kill("SIGTERM");
    await exited(r.proc);
  } finally {
    await Promise.all(raws.map((raw) => raw.close()));
    await lab.close();
  }
});

Deno.test("receive drops garbage and wrong versions, then serves a good sender", async (t) => {
  const lab = await Lab.open();
  const seed = Date.now() >>> 0;
  console.log(`garbage seed: ${seed}`);
  try {
    const output = lab.path("out.bin");
    const r = await lab.receiver(["--once", "--output", output]);

    await t.step("raw TCP garbage is closed by the server", async () => {
      const garbage = seededBytes(seed, 4096);
      garbage[0] = 0xff; // not a TLS record type, so the server cannot wait for more
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: r.port });
      const from = `127.0.0.1:${conn.localAddr.port}`;
      try {
        await conn.write(garbage).catch(() => 0);
        const closedByServer = (async () => {
          const buf = new Uint8Array(4096);
          for (;;) {
            const n = await conn.read(buf).catch(() => null);
            if (n === null) return;
          }
        })();
        await within(closedByServer, CLOSE_MS, "the server to close a garbage TCP connection");
      } finally {
        conn.close();
      }
      await r.proc.waitFor(new RegExp(`TLS handshake with ${escape(from)} failed`), WAIT_MS);
    });

    await t.step("garbage inside TLS is closed by the server", async () => {
      const garbage = seededBytes(seed + 1, 4096);
      garbage[0] = 0xff; // not our OUI's first octet, so the header can never pass
      const raw = await RawTls.dial(r);
      const from = raw.transport.local;
      try {
        raw.transport.write(garbage);
        await within(raw.closed, CLOSE_MS, "the server to close a TLS link that sent garbage");
      } finally {
        await raw.close();
      }
      await r.proc.waitFor(new RegExp(`refused a link from ${escape(from)}: `), WAIT_MS);
    });

    await t.step("a version 2 frame is answered with a CLOSE naming both versions", async () => {
      const raw = await RawTls.dial(r);
      const from = raw.transport.local;
      const reader = new FrameReader({ expectOui: OUI });
      const frames: Frame[] = [];
      let wake = () => {};
      raw.transport.onData((chunk) => {
        frames.push(...reader.push(chunk));
        wake();
      });
      raw.transport.onClose(() => wake());
      const frame = async (what: string): Promise<Frame> => {
        await within(
          (async () => {
            while (frames.length === 0 && !raw.isClosed) await new Promise<void>((w) => wake = w);
          })(),
          CLOSE_MS,
          what,
        );
        const f = frames.shift();
        if (!f) assert.fail(`the server closed the connection without ${what}`);
        return f;
      };
      try {
        assert.equal((await frame("a CHALLENGE")).type, "CHALLENGE");
        const header = new Uint8Array(HEADER_LENGTH);
        header.set([OUI >>> 16, (OUI >>> 8) & 0xff, OUI & 0xff, 0, 0, 0, 1]); // VPN ID, index 1
        header[7] = PROTOCOL_VERSION + 1; // version 2
        header[8] = 2; // HELLO; flags 0, length 0
        raw.transport.write(header);
        const close = await frame("a CLOSE frame for version 2");
        assert.equal(close.type, "CLOSE");
        if (close.type !== "CLOSE") return;
        assert.equal(close.code, CloseCode.VERSION_MISMATCH);
        assert.match(close.reason, /version 1\b/);
        assert.match(close.reason, /version 2\b/);
      } finally {
        await raw.close();
      }
      await r.proc.waitFor(new RegExp(`refused a link from ${escape(from)}: .*version 2`), WAIT_MS);
    });

    await t.step("a good sender still completes, output intact", async () => {
      const input = await randomFile(lab.dir, 1 << 20);
      const s = lab.sender(r, ["--input", input, "--link", "127.0.0.2"]);
      const [sent, received] = await Promise.all([exited(s), exited(r.proc)]);
      assert.equal(sent.code, 0, sent.stderr);
      assert.equal(received.code, 0, received.stderr);
      assert.equal(await sha256File(output), await sha256File(input));
    });
  } finally {
    await lab.close();
  }
});
