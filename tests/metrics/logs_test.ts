// Tests for the logger (cli/common.ts) and `--log-format`: 1. text lines are what they always
// were; 2. JSON lines carry ts, level, msg, cmd (and the session when a message names one),
// with --quiet and --debug deciding the levels; 3. a registered secret is never written;
// 4. a full two-link session at debug level, as JSON, on both sides, under a wrapper that
// records every MAC and signature the processes compute: no log line holds the token or any
// of them (the derived session key is one).
import assert from "node:assert/strict";
import { errorLine, makeLogger, redactSecret } from "../../cli/common.ts";
import { permissionsFor, randomFile, sha256File } from "../_helpers/bondctl.ts";
import { Lab } from "../e2e/_e2e.ts";

const AT = new Date("2026-01-02T03:04:05.678Z");

function capture(opts: Parameters<typeof makeLogger>[0], who = "receive") {
  const lines: string[] = [];
  return { lines, log: makeLogger(opts, who, (l) => lines.push(l), () => AT) };
}

Deno.test("makeLogger(): text lines are unchanged, --quiet and --debug pick the levels", () => {
  const table: [Parameters<typeof makeLogger>[0], string[]][] = [
    [{}, ["bondctl receive: hello", "bondctl receive: warning: careful"]],
    [{ quiet: true }, ["bondctl receive: warning: careful"]],
    [{ debug: true }, [
      "bondctl receive: hello",
      "bondctl receive: warning: careful",
      "bondctl receive: debug: detail",
    ]],
  ];
  for (const [opts, want] of table) {
    const { lines, log } = capture(opts);
    log.info("hello");
    log.warn("careful");
    log.debug("detail");
    assert.deepEqual(lines, want, JSON.stringify(opts));
  }
  makeLogger({}, "x", () => {}); // errors follow the last logger's format
  assert.equal(errorLine("no token"), "bondctl: error: no token");
});

Deno.test("makeLogger(): JSON lines with ts, level, msg, cmd and the session", () => {
  const { lines, log } = capture({ logFormat: "json", debug: true });
  log.info('session 0123456789ab opened by 127.0.0.1:5000, "quoted"\nnext');
  log.warn("careful");
  log.debug("detail");
  const objs = lines.map((l) => JSON.parse(l));
  assert.deepEqual(objs[0], {
    ts: "2026-01-02T03:04:05.678Z",
    level: "info",
    msg: 'session 0123456789ab opened by 127.0.0.1:5000, "quoted"\nnext',
    cmd: "receive",
    session: "0123456789ab",
  });
  assert.deepEqual(objs.map((o) => o.level), ["info", "warn", "debug"]);
  assert.ok(lines.every((l) => !l.includes("\n")), "one object a line");
  const err = JSON.parse(errorLine("boom"));
  assert.equal(err.level, "error");
  assert.equal(err.msg, "boom");
  makeLogger({}, "x", () => {});
});

Deno.test("redactSecret(): a registered secret never reaches a line, in either format", () => {
  const secret = "s3cret-" + crypto.randomUUID();
  redactSecret(secret);
  redactSecret("ab"); // too short to be a token: ignored, or every "ab" would vanish
  for (const logFormat of ["text", "json"]) {
    const { lines, log } = capture({ logFormat });
    log.warn(`the token ${secret} was wrong (ab)`);
    assert.ok(!lines[0].includes(secret), lines[0]);
    assert.match(lines[0], /\[redacted\]/);
    assert.match(lines[0], /\(ab\)/);
  }
  makeLogger({}, "x", () => {});
});

const RECORDER = new URL("./_record_hmac.ts", import.meta.url).pathname;

/** Runs bondctl under the recorder; resolves with its exit code and stderr lines. */
function recorded(args: string[], record: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...permissionsFor(args), RECORDER, ...args],
    env: { NO_COLOR: "1", BONDCTL_TEST_HMAC_RECORD: record },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const pump = (async () => {
    let buf = "";
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) {
      buf += c;
      for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) {
        lines.push(buf.slice(0, i));
      }
    }
    if (buf) lines.push(buf);
  })();
  return {
    child,
    lines,
    done: (async () => ({ code: (await child.status).code, lines: (await pump, lines) }))(),
  };
}

async function waitForLine(lines: string[], re: RegExp, ms = 20_000): Promise<RegExpExecArray> {
  const end = performance.now() + ms;
  for (;;) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m;
    }
    if (performance.now() > end) throw new Error(`no line matching ${re} in:\n${lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("a debug-level JSON log of a full session holds no token and no key", async () => {
  const lab = await Lab.open();
  let recv: ReturnType<typeof recorded> | null = null;
  try {
    const record = lab.path("macs.txt");
    const token = (await Deno.readTextFile(lab.tokenFile)).trim();
    const input = await randomFile(lab.dir, 4 << 20);
    const output = lab.path("out.bin");
    recv = recorded([
      "receive",
      "--listen",
      "127.0.0.1:0",
      "--self-signed",
      "--token-file",
      lab.tokenFile,
      "--output",
      output,
      "--once",
      "--debug",
      "--log-format",
      "json",
    ], record);
    const pin = (await waitForLine(recv.lines, /--pin (sha256:[0-9a-f]{64})/))[1];
    const port = (await waitForLine(recv.lines, /listening on 127\.0\.0\.1:(\d+)/))[1];
    const send = recorded([
      "send",
      "--server",
      `127.0.0.1:${port}`,
      "--pin",
      pin,
      "--token-file",
      lab.tokenFile,
      "--input",
      input,
      "--link",
      "127.0.0.2",
      "--link",
      "127.0.0.3",
      "--debug",
      "--log-format",
      "json",
    ], record);
    const [s, r] = await Promise.all([send.done, recv.done]);
    assert.equal(s.code, 0, s.lines.join("\n"));
    assert.equal(r.code, 0, r.lines.join("\n"));
    assert.equal(await sha256File(output), await sha256File(input));

    // The receiver logged JSON only, every line with its fields, the session among them.
    const objs = r.lines.map((l) => JSON.parse(l));
    for (const o of objs) {
      assert.equal(typeof o.ts, "string");
      assert.ok(["debug", "info", "warn", "error"].includes(o.level), JSON.stringify(o));
      assert.equal(typeof o.msg, "string");
    }
    assert.ok(objs.some((o) => o.session && /complete/.test(o.msg)), r.lines.join("\n"));

    // What must never appear: the token (as text, hex, base64) and every MAC computed.
    const macs = (await Deno.readTextFile(record)).split("\n").filter(Boolean);
    // Per link: a client proof and a server proof, computed on both sides; and the key.
    assert.ok(macs.length >= 6, `only ${macs.length} MACs were recorded: is the recorder on?`);
    const b64 = (hex: string) =>
      btoa(String.fromCharCode(...hex.match(/../g)!.map((h) => parseInt(h, 16))));
    const tokenHex = [...new TextEncoder().encode(token)]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const secrets = [token, tokenHex, btoa(token), ...macs, ...macs.map(b64)];
    const all = [...r.lines, ...s.lines].join("\n");
    for (const secret of secrets) {
      assert.ok(!all.includes(secret), `a log holds a secret (${secret.slice(0, 8)}...)`);
      assert.ok(!all.toLowerCase().includes(secret.toLowerCase().slice(0, 24)));
    }
    console.log(
      `  checked ${r.lines.length + s.lines.length} log lines ` +
        `(${objs.filter((o) => o.level === "debug").length} debug on the receiver) ` +
        `against ${secrets.length} secrets`,
    );
  } finally {
    if (recv) {
      try {
        recv.child.kill("SIGKILL");
      } catch { /* exited */ }
      await recv.done;
    }
    await lab.close();
  }
});
