/**
 * Several relays behind Debian's HAProxy on loopback, with deploy/haproxy/bondctl.cfg as it
 * ships (only its addresses and log target changed): three `bondctl receive` relays, each
 * session to its own file, and senders with three links each (127.0.N.2-4) and
 * `--session-sni`. Checked from the relays' own logs and files:
 * 1. six sessions: every link of a session reached one relay, no relay refused a link, every
 *    output is byte-identical to its input (SHA-256), and the sessions spread over >1 relay;
 * 2. a relay is killed (SIGKILL) mid-stream: each of its senders (`--restart`) reports the
 *    restart and finishes on a live relay, the new session's file holds exactly the input
 *    from the byte the sender named, the dead relay's file is a prefix of the input, and the
 *    other senders notice nothing.
 * Timings (kill to restart) are printed for the record, never asserted.
 * Skipped, with the reason printed, when haproxy is not installed.
 * @module
 */
import assert from "node:assert/strict";
import { haveTool, randomFile, sha256File } from "../_helpers/bondctl.ts";
import { closedPort, exited, Lab, type Receiver, until, WAIT_MS } from "./_e2e.ts";
import { assertPrefix, FedSender, sha } from "./_hardening.ts";
import { generateSelfSigned } from "../../core/tunnel/certificate.ts";

const hasHaproxy = await haveTool("haproxy");
if (!hasHaproxy) console.log("skip: haproxy_test needs haproxy (Debian package haproxy)");

const CONFIG = new URL("../../deploy/haproxy/bondctl.cfg", import.meta.url);
const RELAY_NAME = "relay.test";

/** Three relays, HAProxy in front, and what a sender needs to reach them. */
interface Cluster {
  relays: Receiver[];
  /** Where each relay writes its sessions. */
  dirs: string[];
  /** `--server`, `--servername` and `--ca` for senders. */
  senderArgs: string[];
  haproxy: Deno.ChildProcess;
  haproxyLog: () => string;
}

/** Starts the relays and HAProxy with the shipped configuration. */
async function startCluster(lab: Lab): Promise<Cluster> {
  // One certificate for every relay (as in a real cluster), for the relay's own name only:
  // the SNI carries a label in front of it, so this also checks that verification ignores it.
  const cert = await generateSelfSigned({
    commonName: "bondctl",
    altNames: [RELAY_NAME],
    days: 2,
    now: new Date(),
  });
  const certFile = lab.path("relay.pem");
  const keyFile = lab.path("relay.key");
  await Deno.writeTextFile(certFile, cert.certPem);
  await Deno.writeTextFile(keyFile, cert.keyPem, { mode: 0o600 });
  const dirs = [1, 2, 3].map((i) => lab.path(`relay${i}`));
  const relays = await Promise.all(
    dirs.map((dir) =>
      lab.receiver(["--output", `${dir}/{client}-{session}.ts`], {
        cert: { certFile, keyFile, pin: cert.pin },
      })
    ),
  );
  const port = closedPort();
  let cfg = await Deno.readTextFile(CONFIG);
  const swap = (from: RegExp, to: string) => {
    assert.match(cfg, from, `deploy/haproxy/bondctl.cfg has no ${from}`);
    cfg = cfg.replace(from, to);
  };
  swap(/^ {4}bind :7443$/m, `    bind 127.0.0.1:${port}`);
  swap(/^ {4}log \/dev\/log local0 info$/m, "    log stderr format raw local0 info");
  relays.forEach((r, i) =>
    swap(new RegExp(`^( {4}server relay${i + 1}) \\S+`, "m"), `$1 ${r.server}`)
  );
  const cfgFile = lab.path("haproxy.cfg");
  await Deno.writeTextFile(cfgFile, cfg);
  const haproxy = new Deno.Command("haproxy", {
    args: ["-f", cfgFile, "-db"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  for (const stream of [haproxy.stdout, haproxy.stderr]) {
    (async () => {
      for await (const chunk of stream) log += decoder.decode(chunk);
    })();
  }
  await until(async () => {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return true;
    } catch {
      return false;
    }
  }, `haproxy to listen on 127.0.0.1:${port}`);
  return {
    relays,
    dirs,
    senderArgs: [
      "--server",
      `127.0.0.1:${port}`,
      "--servername",
      RELAY_NAME,
      "--ca",
      certFile,
      "--token-file",
      lab.tokenFile,
      "--session-sni",
    ],
    haproxy,
    haproxyLog: () => log,
  };
}

async function stopHaproxy(c: Cluster | null): Promise<void> {
  if (!c) return;
  try {
    c.haproxy.kill("SIGKILL");
  } catch { /* already gone */ }
  await c.haproxy.status;
}

/** `--link` flags for sender `n`: 127.0.(10+n).2, .3 and .4. */
const linksOf = (n: number) => [2, 3, 4].flatMap((h) => ["--link", `127.0.${10 + n}.${h}`]);

/** The session id (12 hex digits) a sender opened, from its log. */
async function sessionOf(lines: { waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray> }) {
  const m = await lines.waitFor(
    new RegExp(
      `session ([0-9a-f]{12}) open on link \\d .*TLS server name [0-9a-f]{16}\\.${RELAY_NAME}`,
    ),
    WAIT_MS,
  );
  return m[1];
}

/** Which relays logged a link of `session`, and how many links each. */
function linksPerRelay(c: Cluster, session: string): Map<number, number> {
  const seen = new Map<number, number>();
  c.relays.forEach((r, i) => {
    const n = r.proc.lines.filter((l) =>
      l.includes(`session ${session} opened by`) || l.includes(`session ${session}: link `)
    ).length;
    if (n > 0) {
      seen.set(i, n);
    }
  });
  return seen;
}

/**
 * Waits until the relays (together) logged `links` links of `session`, taken or refused, so
 * that a split session fails on what happened rather than on a timeout.
 */
async function linksLogged(c: Cluster, session: string, links: number): Promise<void> {
  const refused = () =>
    c.relays.flatMap((r) => r.proc.lines).filter((l) => l.includes(`holds no session ${session}`))
      .length;
  const total = () =>
    [...linksPerRelay(c, session).values()].reduce((a, b) => a + b, 0) + refused();
  await until(() => total() >= links, `${links} links of session ${session} in the relay logs`);
}

/** Asserts every link of `session` reached one relay; returns that relay's index. */
function assertOneRelay(c: Cluster, session: string, links: number): number {
  const seen = linksPerRelay(c, session);
  assert.equal(seen.size, 1, `session ${session} was split: ${JSON.stringify([...seen])}`);
  const [[relay, n]] = [...seen];
  assert.equal(n, links, `session ${session}: ${n} links on relay ${relay + 1}, not ${links}`);
  for (const r of c.relays) {
    const refused = r.proc.lines.filter((l) => l.includes(`holds no session ${session}`));
    assert.deepEqual(refused, [], `a relay refused a link of session ${session}`);
  }
  return relay;
}

/** The file relay `relay` wrote for `session`. */
async function outputOf(c: Cluster, relay: number, session: string): Promise<string> {
  const path = () => {
    try {
      for (const e of Deno.readDirSync(c.dirs[relay])) {
        if (e.name.startsWith(`shared-${session}`)) return `${c.dirs[relay]}/${e.name}`;
      }
    } catch { /* not made yet */ }
    return null;
  };
  await until(() => path() !== null, `relay ${relay + 1}'s file for session ${session}`);
  return path()!;
}

Deno.test({
  name: "haproxy: six sessions of three links over three relays, none split, all intact",
  ignore: !hasHaproxy,
  async fn() {
    const lab = await Lab.open();
    let cluster: Cluster | null = null;
    try {
      const c = cluster = await startCluster(lab);
      const run = async (n: number) => {
        const input = await randomFile(lab.dir, (2 + n) << 20, `input${n}.bin`);
        const p = lab.spawn(["send", ...c.senderArgs, ...linksOf(n), "--input", input]);
        const session = await sessionOf(p);
        const exit = await exited(p);
        assert.equal(exit.code, 0, `sender ${n}:\n${exit.stderr}`);
        return { n, input, session };
      };
      const sessions = await Promise.all([0, 1, 2, 3, 4, 5].map(run));
      // With a working hash, all six on one relay has a chance of 3 x 3^-6 (0.4 %): then more
      // sessions are run, one by one, until a second relay is used (all of 12: 6e-6).
      const relayOf = new Map<string, number>();
      for (const s of sessions) {
        await linksLogged(c, s.session, 3);
        relayOf.set(s.session, assertOneRelay(c, s.session, 3));
      }
      for (let n = 6; new Set(relayOf.values()).size < 2 && n < 12; n++) {
        console.log(`  all sessions so far on one relay: one more (${n + 1})`);
        const s = await run(n);
        sessions.push(s);
        await linksLogged(c, s.session, 3);
        relayOf.set(s.session, assertOneRelay(c, s.session, 3));
      }
      for (const s of sessions) {
        const relay = relayOf.get(s.session)!;
        const out = await outputOf(c, relay, s.session);
        await until(
          async () => (await Deno.stat(out)).size === (await Deno.stat(s.input)).size,
          `session ${s.session}'s output to be complete`,
        );
        assert.equal(await sha256File(out), await sha256File(s.input), `session ${s.session}`);
      }
      const spread = [0, 1, 2].map((i) => [...relayOf.values()].filter((r) => r === i).length);
      console.log(`  ${sessions.length} sessions over relays 1/2/3: ${spread.join("/")}`);
      assert.ok(spread.filter((n) => n > 0).length > 1, `no spread: ${spread.join("/")}`);
    } finally {
      await stopHaproxy(cluster);
      await lab.close();
    }
  },
});

Deno.test({
  name: "haproxy: a relay killed mid-stream; its senders restart on the others and say so",
  ignore: !hasHaproxy,
  async fn() {
    const lab = await Lab.open();
    let cluster: Cluster | null = null;
    const senders: FedSender[] = [];
    try {
      const c = cluster = await startCluster(lab);
      for (let n = 0; n < 6; n++) {
        const proc = lab.spawn(
          ["send", ...c.senderArgs, ...linksOf(n), "--restart", "--debug"],
          { stdin: "piped" },
        );
        senders.push(new FedSender(proc, 1000 * (n + 1)));
      }
      // 1. every session up with its three links, and some of every stream written out
      const first = await Promise.all(senders.map(async (s) => {
        await s.feed(256 * 1024);
        return await sessionOf(s.proc);
      }));
      const relayOf: number[] = [];
      for (const id of first) {
        await linksLogged(c, id, 3);
        relayOf.push(assertOneRelay(c, id, 3));
      }
      for (const [i, id] of first.entries()) {
        const out = await outputOf(c, relayOf[i], id);
        await until(async () => (await Deno.stat(out)).size > 0, `bytes of session ${id}`);
      }
      // 2. kill the relay with the most sessions
      const counts = [0, 1, 2].map((r) => relayOf.filter((x) => x === r).length);
      const dead = counts.indexOf(Math.max(...counts));
      const hit = senders.filter((_, i) => relayOf[i] === dead);
      const spared = senders.filter((_, i) => relayOf[i] !== dead);
      console.log(`  sessions over relays 1/2/3: ${counts.join("/")}; killing relay ${dead + 1}`);
      const killedAt = performance.now();
      c.relays[dead].proc.kill("SIGKILL");
      await c.relays[dead].proc.done;
      // Keep feeding everyone while the senders of the dead relay find a new one.
      let feeding = true;
      const feeder = (async () => {
        while (feeding) {
          for (const s of senders) await s.feed(32 * 1024);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const restarts = await Promise.all(hit.map(async (s) => {
        const m = await s.proc.waitFor(
          /stream restarted: session ([0-9a-f]{12}) streams from input byte (\d+)/,
          WAIT_MS,
        );
        return { sender: s, session: m[1], from: Number(m[2]), ms: performance.now() - killedAt };
      }));
      // Streaming again: the new session's bytes reach a live relay's file.
      const again: number[] = [];
      for (const r of restarts) {
        await linksLogged(c, r.session, 3);
        const relay = assertOneRelay(c, r.session, 3);
        assert.notEqual(relay, dead, "the new session went to the dead relay");
        const out = await outputOf(c, relay, r.session);
        await until(async () => (await Deno.stat(out)).size > 0, `bytes of ${r.session}`);
        again.push(performance.now() - killedAt);
      }
      feeding = false;
      await feeder;
      console.log(
        `  kill -> "stream restarted": ${restarts.map((r) => r.ms.toFixed(0)).join(", ")} ms; ` +
          `kill -> new session's bytes in a file: ${again.map((t) => t.toFixed(0)).join(", ")} ms`,
      );
      // 3. finish every stream and compare
      for (const s of senders) await s.feed(128 * 1024);
      for (const s of senders) await s.end();
      for (const [i, s] of senders.entries()) {
        const exit = await exited(s.proc);
        assert.equal(exit.code, 0, `sender ${i}:\n${exit.stderr}`);
      }
      for (const r of restarts) {
        const input = r.sender.input();
        const i = senders.indexOf(r.sender);
        const text = r.sender.proc.lines.join("\n");
        assert.match(text, /the stream restarts \(1 of at most 5\): session [0-9a-f]{12} ended/);
        assert.match(text, /the stream restarted 1 time \(sessions /);
        const old = await Deno.readFile(await outputOf(c, dead, first[i]));
        assertPrefix(old, input, `the dead relay's file of session ${first[i]}`);
        assert.ok(old.length <= r.from, "the new session starts after what the old one wrote");
        const relay = [...linksPerRelay(c, r.session).keys()][0];
        const now = await Deno.readFile(await outputOf(c, relay, r.session));
        assert.equal(
          sha(now),
          sha(input.subarray(r.from)),
          `session ${r.session}: input[${r.from}:]`,
        );
      }
      for (const s of spared) {
        const i = senders.indexOf(s);
        assert.doesNotMatch(s.proc.lines.join("\n"), /restart/, `sender ${i} restarted`);
        const out = await outputOf(c, relayOf[i], first[i]);
        await until(
          async () => (await Deno.stat(out)).size >= s.written,
          `sender ${i}'s output to be complete`,
        );
        assert.equal(sha(await Deno.readFile(out)), sha(s.input()), `sender ${i}'s output`);
      }
    } finally {
      for (const s of senders) s.release();
      await stopHaproxy(cluster);
      await lab.close();
    }
  },
});
