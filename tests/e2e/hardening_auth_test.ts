/**
 * Authentication and authorisation of a real `bondctl receive`, with real senders:
 * 1. TLS 1.3 only: `openssl s_client -tls1_2` is refused, `-tls1_3` served;
 * 2. per-client tokens (`--clients`), per-session outputs (`{client}-{session}`), and one
 *    client revoked by SIGHUP while two sessions run: its session ends at once with a clear
 *    reason and a correct prefix, its new sessions are refused, the other client goes on
 *    to a byte-identical output; a broken clients file on SIGHUP changes nothing; no token
 *    appears in any log, even with --debug;
 * 3. the certificate and key reloaded on SIGHUP: the new pin is served, a broken pair is
 *    refused and the old one kept.
 * @module
 */
import assert from "node:assert/strict";
import { haveTool } from "../_helpers/bondctl.ts";
import { certificatePin, generateSelfSigned } from "../../core/tunnel/certificate.ts";
import { assertOneErrorLine, exited, Lab, until, WAIT_MS } from "./_e2e.ts";
import {
  assertNoSecrets,
  assertPrefix,
  FedSender,
  filesIn,
  hangup,
  sha,
  writeClients,
} from "./_hardening.ts";

const hasOpenssl = await haveTool("openssl");

/** `openssl s_client` against the receiver with one TLS version: its stdout and stderr. */
async function sClient(port: number, version: "-tls1_2" | "-tls1_3"): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, version],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

Deno.test({
  name: "receive refuses TLS 1.2 and serves TLS 1.3 (openssl s_client)",
  ignore: !hasOpenssl,
  async fn() {
    const lab = await Lab.open();
    try {
      const r = await lab.receiver(["--output", lab.path("out.bin")]);
      const v12 = await sClient(r.port, "-tls1_2");
      assert.match(v12, /alert protocol version|no protocols available|wrong version/i, v12);
      assert.doesNotMatch(v12, /Cipher is (?!\(NONE\))/);
      await r.proc.waitFor(/TLS handshake with 127\.0\.0\.1:\d+ failed: .*TLS 1\.3/, WAIT_MS);
      const v13 = await sClient(r.port, "-tls1_3");
      assert.match(v13, /New, TLSv1\.3, Cipher is TLS_/, v13);
    } finally {
      await lab.close();
    }
  },
});

Deno.test("per-client tokens: revoking one client on SIGHUP ends its session only", async (t) => {
  const lab = await Lab.open();
  const tokens = {
    alpha: "alpha-token-" + crypto.randomUUID(),
    beta: "beta-token-" + crypto.randomUUID(),
  };
  const shared = (await Deno.readTextFile(lab.tokenFile)).trim();
  try {
    const clients = lab.path("clients.json");
    await writeClients(clients, tokens);
    for (const [name, token] of Object.entries(tokens)) {
      await Deno.writeTextFile(lab.path(`${name}.token`), token + "\n");
    }
    const outDir = lab.path("streams");
    const r = await lab.receiver([
      "--clients",
      clients,
      "--output",
      `${outDir}/{client}-{session}.bin`,
      "--debug",
    ]);
    const alpha = FedSender.start(lab, r, lab.path("alpha.token"), ["127.0.0.2", "127.0.0.3"], 1);
    const beta = FedSender.start(lab, r, lab.path("beta.token"), ["127.0.0.4", "127.0.0.5"], 2);
    await Promise.all([alpha.feed(1 << 20), beta.feed(1 << 20)]);
    await r.proc.waitFor(/session \w+ opened by .* client alpha, output .*alpha-[0-9a-f]{32}\.bin/);
    await r.proc.waitFor(/session \w+ opened by .* client beta, output .*beta-[0-9a-f]{32}\.bin/);
    const alphaFile = (await filesIn(outDir, /^alpha-[0-9a-f]{32}\.bin$/))[0];
    const betaFile = (await filesIn(outDir, /^beta-[0-9a-f]{32}\.bin$/))[0];
    assert.ok(alphaFile && betaFile, "each client has its own output file");
    await until(
      async () => (await Deno.stat(`${outDir}/${alphaFile}`)).size === 1 << 20,
      "alpha's first MiB in its output",
    );

    await t.step(
      "a broken clients file on SIGHUP changes nothing and quotes no token",
      async () => {
        await Deno.writeTextFile(
          clients,
          `{"clients": [{"name": "beta", "token": "${tokens.beta}" ]}`,
        );
        const line = await hangup(r);
        assert.match(
          line,
          /reload on SIGHUP failed, keeping what was loaded before: .*not valid JSON at line 1/,
        );
        assert.ok(!line.includes(tokens.beta));
        assert.ok(await alpha.feed(64 * 1024), "alpha still streams");
      },
    );

    await t.step("revoking alpha ends its session with a clear reason", async () => {
      await writeClients(clients, { beta: tokens.beta });
      const line = await hangup(r);
      assert.match(line, /reloaded on SIGHUP: 2 clients/); // beta, and the lab's shared token
      await r.proc.waitFor(/session \w+ ended: client alpha was revoked/, WAIT_MS);
      const a = await exited(alpha.proc);
      assert.equal(a.code, 1, a.stderr);
      assert.match(
        a.stderr,
        /bondctl: error: the server ended the session: client alpha was revoked on the server/,
      );
      alpha.release();
      assertPrefix(await Deno.readFile(`${outDir}/${alphaFile}`), alpha.input(), "alpha's output");
    });

    await t.step("alpha's new sessions are refused", async () => {
      await Deno.writeFile(lab.path("small.bin"), new Uint8Array(1000));
      const again = lab.spawn([
        "send",
        "--server",
        r.server,
        "--pin",
        r.pin,
        "--token-file",
        lab.path("alpha.token"),
        "--input",
        lab.path("small.bin"),
        "--link",
        "127.0.0.6",
      ]);
      assertOneErrorLine(await exited(again), /token does not match/);
    });

    await t.step("beta was not disturbed: its output is byte-identical", async () => {
      assert.ok(await beta.feed(2 << 20));
      await beta.end();
      const b = await exited(beta.proc);
      assert.equal(b.code, 0, b.stderr);
      await until(
        async () => (await Deno.stat(`${outDir}/${betaFile}`)).size === beta.written,
        "beta's whole stream in its output",
      );
      assert.equal(sha(await Deno.readFile(`${outDir}/${betaFile}`)), sha(beta.input()));
      assert.doesNotMatch(r.proc.lines.join("\n"), /session \w+ ended incomplete.*client beta/);
    });

    await t.step("no token in any log, even with --debug", () => {
      const logs = [r.proc.lines.join("\n"), ...[alpha, beta].map((s) => s.proc.lines.join("\n"))];
      assertNoSecrets(logs, [tokens.alpha, tokens.beta, shared]);
    });
  } finally {
    await lab.close();
  }
});

Deno.test("receive reloads its certificate and key on SIGHUP", async () => {
  const lab = await Lab.open();
  try {
    const make = async (name: string) => {
      const c = await generateSelfSigned({
        commonName: name,
        altNames: ["127.0.0.1"],
        days: 1,
        now: new Date(),
      });
      return { ...c, pin: await certificatePin(c.certPem) };
    };
    const [first, second] = [await make("first"), await make("second")];
    const cert = lab.path("server.pem");
    const key = lab.path("server.key");
    await Deno.writeTextFile(cert, first.certPem);
    await Deno.writeTextFile(key, first.keyPem);
    const r = await lab.receiver(["--output", lab.path("out-{session}.bin")], {
      cert: { certFile: cert, keyFile: key, pin: first.pin },
    });
    await Deno.writeFile(lab.path("in.bin"), new Uint8Array(4096).fill(7));
    const send = (pin: string) =>
      lab.run([
        "send",
        "--server",
        r.server,
        "--pin",
        pin,
        "--token-file",
        lab.tokenFile,
        "--input",
        lab.path("in.bin"),
        "--link",
        "127.0.0.2",
      ]);
    assert.equal((await send(first.pin)).code, 0);

    // A key that is not the certificate's: refused, the first pair still served.
    await Deno.writeTextFile(cert, second.certPem);
    assert.match(
      await hangup(r),
      /reload on SIGHUP failed, keeping what was loaded before: the key does not belong/,
    );
    assert.equal((await send(first.pin)).code, 0);

    await Deno.writeTextFile(key, second.keyPem);
    assert.match(await hangup(r), new RegExp(`reloaded on SIGHUP: .*certificate ${second.pin}`));
    assertOneErrorLine(await send(first.pin), /not the expected/);
    const ok = await send(second.pin);
    assert.equal(ok.code, 0, ok.stderr);
  } finally {
    await lab.close();
  }
});
