/**
 * Many tenants on one relay: N real `bondctl send` processes, each its own client (its own
 * token in `--clients`), each a session of four loopback links, all at once, each into its own
 * output (`{client}-{session}`); alongside them a hostile client that keeps knocking: raw TCP
 * garbage, garbage inside TLS, wrong tokens, and an authenticated client sending frames that
 * break every rule (streams that do not exist, absurd sequence numbers, ACKs for blocks never
 * sent, malformed bytes). Every tenant's output must be byte-identical to its input.
 * Used by tests/e2e/hardening_tenants_test.ts (a dozen, in CI) and `deno task tenants` (50).
 * @module
 */
import { dialTls } from "../../core/tunnel/tls_client_io.ts";
import { FramedLink } from "../../core/tunnel/framed_link_io.ts";
import { clientHandshake, newSessionId } from "../../core/session/handshake.ts";
import { DEFAULT_VPN_OUI, type Frame } from "../../core/frame/mod.ts";
import { randomFile, sha256File } from "../_helpers/bondctl.ts";
import { type Exit, exited, Lab, seededBytes, WAIT_MS } from "./_e2e.ts";
import { filesIn, writeClients } from "./_hardening.ts";

/** What a run found. */
export interface TenantsReport {
  sessions: number;
  linksPerSession: number;
  bytesPerSession: number;
  seconds: number;
  identical: number;
  failures: string[];
  hostileAttempts: number;
  receiverPeakRssBytes: number | null;
}

const OUI = DEFAULT_VPN_OUI;
const LINKS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"];

/** Peak RSS of a process (Deno reads /proc only with --allow-all: `cat` reads it instead). */
async function peakRss(pid: number): Promise<number | null> {
  try {
    const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
      .output();
    const m = /VmHWM:\s+(\d+) kB/.exec(new TextDecoder().decode(out.stdout));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** One hostile attempt of kind `k`; never throws. */
async function attack(k: number, port: number, pin: string, token: Uint8Array, seed: number) {
  const trust = { kind: "pin" as const, pin };
  try {
    if (k === 0) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      const junk = seededBytes(seed, 2048);
      junk[0] = 0xff;
      await c.write(junk).catch(() => 0);
      c.close();
      return;
    }
    const t = await dialTls({
      host: "127.0.0.1",
      port,
      localAddress: "127.0.0.9",
      trust,
      timeoutMs: WAIT_MS,
    });
    t.onData(() => {});
    const closed = new Promise<void>((r) => t.onClose(() => r()));
    try {
      if (k === 1) {
        t.write(seededBytes(seed, 4096).fill(0xee, 0, 1)); // garbage inside TLS
      } else {
        const link = new FramedLink(t, OUI);
        const hello = {
          oui: OUI,
          linkIndex: 1,
          caps: {
            kind: "loopback" as const,
            name: "mallory",
            localAddress: "127.0.0.9",
            cost: 1,
            priority: "primary" as const,
          },
          sessionId: newSessionId(),
          token: k === 2 ? new TextEncoder().encode("not-a-token-at-all") : token,
          timeoutMs: WAIT_MS,
        };
        await clientHandshake(link, hello); // k === 2: refused (wrong token)
        const vpn = { oui: OUI, index: 1 };
        const hostile: Frame[] = [
          {
            type: "DATA",
            vpn,
            streamId: 7,
            seq: 0,
            sendTs: 0,
            fin: false,
            retransmit: false,
            payload: new Uint8Array(100),
          },
          {
            type: "ACK",
            vpn,
            streamId: 0,
            cumulative: 1e9,
            ranges: [[1e9 + 5, 1e12]],
            windowBytes: 0xffffffff,
            echoTs: 1,
            ackDelayUs: 0,
          },
          { type: "NACK", vpn, streamId: 0, ranges: [[0, Number.MAX_SAFE_INTEGER]] },
          { type: "BUFFER", vpn, bufferMs: 0 },
          {
            type: "DATA",
            vpn,
            streamId: 0,
            seq: Number.MAX_SAFE_INTEGER - 1,
            sendTs: 0,
            fin: true,
            retransmit: false,
            payload: new Uint8Array(10),
          },
          {
            type: "DATA",
            vpn,
            streamId: 0,
            seq: 5,
            sendTs: 0,
            fin: false,
            retransmit: false,
            payload: new Uint8Array(10),
          },
          {
            type: "HELLO_ACK",
            vpn,
            sessionId: new Uint8Array(16),
            bufferMs: 1,
            proof: new Uint8Array(32),
          },
        ];
        const rotate = seed % hostile.length;
        for (const f of [...hostile.slice(rotate), ...hostile.slice(0, rotate)]) link.send(f);
        t.write(seededBytes(seed, 64)); // and malformed bytes
      }
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    } finally {
      t.destroy();
    }
  } catch { /* refused, as it should be */ }
}

/**
 * Runs `sessions` tenants (and the hostile client) against one receiver.
 * @example
 * ```ts
 * const report = await runTenants({ sessions: 12, bytesPerSession: 256 * 1024 });
 * ```
 */
export async function runTenants(
  o: { sessions: number; bytesPerSession: number; log?: (line: string) => void },
): Promise<TenantsReport> {
  const lab = await Lab.open();
  const log = o.log ?? (() => {});
  try {
    const names = Array.from(
      { length: o.sessions },
      (_, i) => `t${String(i + 1).padStart(2, "0")}`,
    );
    const tokens: Record<string, string> = {};
    for (const n of [...names, "mallory"]) tokens[n] = `${n}-token-${crypto.randomUUID()}`;
    await writeClients(lab.path("clients.json"), tokens);
    const inputs: string[] = [];
    for (const n of names) {
      await Deno.writeTextFile(lab.path(`${n}.token`), tokens[n]);
      inputs.push(await randomFile(lab.dir, o.bytesPerSession, `${n}.in`));
    }
    const outDir = lab.path("streams");
    const r = await lab.receiver([
      "--clients",
      lab.path("clients.json"),
      "--output",
      `${outDir}/{client}-{session}.bin`,
      "--quiet",
      "--max-sessions",
      String(o.sessions + 8),
      "--max-buffer",
      "4MiB",
      "--max-buffer-total",
      `${(o.sessions + 8) * 4}MiB`,
      "--max-unauthenticated",
      "1024",
    ]);
    log(`receiver on port ${r.port}; starting ${o.sessions} senders of 4 links each`);
    const t0 = performance.now();
    const senders = names.map((n, i) =>
      lab.spawn([
        "send",
        "--server",
        r.server,
        "--pin",
        r.pin,
        "--token-file",
        lab.path(`${n}.token`),
        "--input",
        inputs[i],
        "--quiet",
        ...LINKS.flatMap((l) => ["--link", l]),
      ])
    );
    let running = true;
    let attempts = 0;
    const mallory = new TextEncoder().encode(tokens.mallory);
    // Up to 8 attempts at a time, a new one every 20 ms, for as long as the tenants run.
    const hostile = (async () => {
      const inflight = new Set<Promise<void>>();
      while (running) {
        if (inflight.size < 8) {
          const p = attack(attempts % 4, r.port, r.pin, mallory, attempts);
          inflight.add(p);
          p.finally(() => inflight.delete(p));
          attempts++;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
      await Promise.all(inflight);
    })();
    const exits: Exit[] = await Promise.all(senders.map((s) => exited(s, 300_000)));
    const seconds = (performance.now() - t0) / 1000;
    running = false;
    await hostile;
    const failures: string[] = [];
    let identical = 0;
    for (const [i, n] of names.entries()) {
      if (exits[i].code !== 0) {
        failures.push(
          `${n}: exit ${exits[i].code}: ${exits[i].stderr.split("\n").slice(-2).join(" ")}`,
        );
        continue;
      }
      const files = await filesIn(outDir, new RegExp(`^${n}-[0-9a-f]{32}\\.bin$`));
      if (files.length !== 1) {
        failures.push(`${n}: ${files.length} output files`);
        continue;
      }
      // The relay may still be closing the file when the sender exits.
      let same = false;
      for (let k = 0; k < 100 && !same; k++) {
        same = (await sha256File(`${outDir}/${files[0]}`)) === (await sha256File(inputs[i]));
        if (!same) await new Promise((res) => setTimeout(res, 50));
      }
      if (same) identical++;
      else failures.push(`${n}: output differs from its input`);
    }
    const rss = await peakRss(r.proc.child.pid);
    r.proc.kill("SIGTERM");
    await exited(r.proc);
    return {
      sessions: o.sessions,
      linksPerSession: LINKS.length,
      bytesPerSession: o.bytesPerSession,
      seconds,
      identical,
      failures,
      hostileAttempts: attempts,
      receiverPeakRssBytes: rss,
    };
  } finally {
    await lab.close();
  }
}
