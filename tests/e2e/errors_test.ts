/**
 * The errors a user will meet first, with the real `bondctl` processes: each must exit 1 with
 * ONE line that names the cause (said once, no stack trace). The runs start all at once
 * against one receiver (with a certificate from files, so that `--ca` can be tried both ways)
 * and are checked one by one.
 * @module
 */
import assert from "node:assert/strict";
import { certificatePin, generateSelfSigned } from "../../core/tunnel/certificate.ts";
import { assertOneErrorLine, closedPort, Lab, type Run, until } from "./_e2e.ts";

const ZERO_PIN = `sha256:${"0".repeat(64)}`;

Deno.test("send and receive fail with one clear line naming the cause", async (t) => {
  const lab = await Lab.open();
  try {
    const now = new Date();
    const names = ["127.0.0.1", "localhost"];
    const server = await generateSelfSigned({
      commonName: "e2e relay",
      altNames: names,
      days: 1,
      now,
    });
    const other = await generateSelfSigned({
      commonName: "not the relay",
      altNames: names,
      days: 1,
      now,
    });
    await Deno.writeTextFile(lab.path("server.pem"), server.certPem);
    await Deno.writeTextFile(lab.path("server.key"), server.keyPem);
    await Deno.writeTextFile(lab.path("other.pem"), other.certPem);
    await Deno.writeFile(lab.path("small.bin"), crypto.getRandomValues(new Uint8Array(4096)));

    const r = await lab.receiver(["--output", lab.path("out.bin")], {
      cert: {
        certFile: lab.path("server.pem"),
        keyFile: lab.path("server.key"),
        pin: await certificatePin(server.certPem),
      },
    });
    const send = (
      target: string,
      extra: string[],
      opts: { trust?: string[]; token?: string[]; env?: Record<string, string> } = {},
    ) =>
      lab.run([
        "send",
        "--server",
        target,
        ...(opts.trust ?? ["--pin", r.pin]),
        ...(opts.token ?? ["--token-file", lab.tokenFile]),
        ...extra,
      ], { env: opts.env });
    const input = ["--input", lab.path("small.bin"), "--link", "127.0.0.2"];

    // Start every case at once, then check each.
    const cases: [name: string, run: Promise<Run>, cause: RegExp][] = [
      [
        "server unreachable (a closed port)",
        send(`127.0.0.1:${closedPort()}`, input),
        /connection refused/,
      ],
      [
        "wrong --pin",
        send(r.server, input, { trust: ["--pin", ZERO_PIN] }),
        new RegExp(`not the expected ${ZERO_PIN}`),
      ],
      [
        "wrong --ca",
        send(r.server, input, { trust: ["--ca", lab.path("other.pem")] }),
        /failed certificate verification/,
      ],
      [
        "--link naming no local address",
        send(r.server, ["--input", lab.path("small.bin"), "--link", "10.255.255.1"]),
        /10\.255\.255\.1: no interface on this machine has that address/,
      ],
      [
        "receive --output not writable",
        lab.run([
          "receive",
          "--listen",
          "127.0.0.1:0",
          "--self-signed",
          "--token-file",
          lab.tokenFile,
          "--once",
          "--output",
          "/nonexistent-dir/x",
        ]),
        /cannot write --output \/nonexistent-dir\/x/,
      ],
      [
        "send --input missing",
        send(r.server, ["--input", "/nonexistent", "--link", "127.0.0.2"]),
        /cannot read --input \/nonexistent/,
      ],
      [
        "no token given",
        send(r.server, input, { token: [], env: { BONDCTL_TOKEN: "" } }),
        /no token/,
      ],
      [
        "--token-file missing",
        send(r.server, input, { token: ["--token-file", lab.path("no-such-token")] }),
        /cannot read --token-file .*no-such-token/,
      ],
    ];
    const rightCa = send(r.server, input, { trust: ["--ca", lab.path("server.pem")] });
    const runs = await Promise.all(cases.map((c) => c[1]));

    for (const [i, [name, , cause]] of cases.entries()) {
      await t.step(name, () => void assertOneErrorLine(runs[i], cause));
    }
    await t.step("the right --ca is accepted (so the wrong one failed for the CA)", async () => {
      const ok = await rightCa;
      assert.equal(ok.code, 0, ok.stderr);
      const want = await Deno.readFile(input[1]);
      await until(
        async () => (await Deno.stat(lab.path("out.bin"))).size === want.length,
        "the receiver's output",
      );
      assert.deepEqual(await Deno.readFile(lab.path("out.bin")), want);
    });
  } finally {
    await lab.close();
  }
});
