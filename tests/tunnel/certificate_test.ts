import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "node:tls";
import { OptionError } from "../../core/config/mod.ts";
import {
  certificatePin,
  derToPem,
  ecdsaSignatureToDer,
  generateSelfSigned,
  parsePin,
  pemToDer,
  pinFromDer,
} from "../../core/tunnel/certificate.ts";

const NOW = new Date("2026-03-01T12:34:56.789Z");
const TLS_NAMES = ["localhost", "127.0.0.1", "::1"];

// ---------------------------------------------------------------------------------------------
// A minimal DER reader, enough to take a certificate apart in the tests.

interface Node {
  tag: number;
  /** The whole TLV. */
  der: Uint8Array;
  /** The content octets. */
  content: Uint8Array;
}

function readNode(bytes: Uint8Array, at = 0): Node {
  const tag = bytes[at];
  let length = bytes[at + 1];
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at + 2 + i];
    header += count;
  }
  const end = at + header + length;
  assert.ok(end <= bytes.length, "DER length runs past the end");
  return { tag, der: bytes.subarray(at, end), content: bytes.subarray(at + header, end) };
}

function children(node: Node): Node[] {
  const out: Node[] = [];
  for (let at = 0; at < node.content.length;) {
    const child = readNode(node.content, at);
    out.push(child);
    at += child.der.length;
  }
  return out;
}

const ascii = (b: Uint8Array) => new TextDecoder().decode(b);

/** The inverse of ecdsaSignatureToDer: 32-octet r and s, for WebCrypto's verify. */
function derSignatureToRaw(der: Uint8Array): Uint8Array<ArrayBuffer> {
  const raw = new Uint8Array(64);
  children(readNode(der)).forEach((int, i) => {
    assert.equal(int.tag, 0x02);
    // Minimal: no 0x00 unless the next octet has its high bit set.
    if (int.content.length > 1) assert.ok(int.content[0] !== 0 || int.content[1] & 0x80);
    const magnitude = int.content[0] === 0 ? int.content.subarray(1) : int.content;
    raw.set(magnitude, 32 * (i + 1) - magnitude.length);
  });
  return raw;
}

// ---------------------------------------------------------------------------------------------
// Helpers for the real-world checks.

async function hasOpenssl(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("openssl", { args: ["version"], stdout: "null" })
      .output();
    return success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(
    out.success,
    `openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`,
  );
  return text;
}

interface Exchange {
  authorized: boolean;
  fingerprint256: string;
  reply: string;
}

/**
 * Serves `cert`/`key` with Deno.listenTls on 127.0.0.1, connects with node:tls trusting only
 * `cert`, sends `message`, and returns what the client saw. The server echoes in upper case.
 */
async function tlsExchange(
  cert: string,
  key: string,
  servername: string | undefined,
  message: string,
): Promise<Exchange> {
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key });
  const served = (async () => {
    const conn = await listener.accept();
    try {
      const buf = new Uint8Array(256);
      const n = await conn.read(buf); // the handshake happens here
      if (n !== null) {
        await conn.write(new TextEncoder().encode(ascii(buf.subarray(0, n)).toUpperCase()));
      }
    } catch {
      // The client refused the certificate: the handshake fails on this side too.
    } finally {
      conn.close();
    }
  })();
  try {
    return await new Promise<Exchange>((resolve, reject) => {
      const socket = connect({
        host: "127.0.0.1",
        port: listener.addr.port,
        ca: [cert],
        servername,
      });
      let seen: Omit<Exchange, "reply"> | undefined;
      let failure: Error | undefined;
      const chunks: Buffer[] = [];
      socket.on("secureConnect", () => {
        seen = {
          authorized: socket.authorized,
          fingerprint256: socket.getPeerCertificate().fingerprint256,
        };
        socket.write(message);
      });
      socket.on("data", (d: Buffer) => chunks.push(d));
      socket.on("error", (e: Error) => failure = e);
      socket.on("close", () => {
        if (failure !== undefined || seen === undefined) reject(failure ?? new Error("no TLS"));
        else resolve({ ...seen, reply: Buffer.concat(chunks).toString() });
      });
    });
  } finally {
    await served;
    listener.close();
  }
}

// ---------------------------------------------------------------------------------------------

Deno.test("generateSelfSigned() returns PEM, a PKCS#8 key and the pin", async () => {
  const { certPem, keyPem, pin } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 30,
    now: NOW,
  });
  assert.match(
    certPem,
    /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/,
  );
  assert.match(
    keyPem,
    /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PRIVATE KEY-----\n$/,
  );
  for (const pem of [certPem, keyPem]) {
    const body = pem.split("\n").slice(1, -2);
    assert.ok(body.slice(0, -1).every((line) => line.length === 64), "64-character lines");
    assert.ok(body[body.length - 1].length <= 64);
  }
  assert.match(pin, /^sha256:[0-9a-f]{64}$/);
  assert.equal(await certificatePin(certPem), pin);
  assert.equal(await pinFromDer(pemToDer(certPem, "CERTIFICATE")), pin);
  // The private key imports back into WebCrypto.
  await crypto.subtle.importKey(
    "pkcs8",
    pemToDer(keyPem, "PRIVATE KEY"),
    {
      name: "ECDSA",
      namedCurve: "P-256",
    },
    false,
    ["sign"],
  );
});

Deno.test("generateSelfSigned() writes the X.509 fields the brief asks for", async () => {
  const { certPem } = await generateSelfSigned({
    commonName: "bondctl relay",
    altNames: ["relay.example.net", "203.0.113.7", "2001:db8::7", "::ffff:192.0.2.1"],
    days: 30,
    now: NOW,
  });
  const [tbs, algorithm, signature] = children(readNode(pemToDer(certPem, "CERTIFICATE")));
  const [version, serial, innerAlgorithm, issuer, validity, subject, spki, extensions] = children(
    tbs,
  );
  assert.deepEqual([...version.der], [0xa0, 0x03, 0x02, 0x01, 0x02], "v3");
  assert.equal(serial.tag, 0x02);
  assert.equal(serial.content.length, 16, "16-octet serial");
  assert.ok(serial.content[0] >= 0x01 && serial.content[0] <= 0x7f, "positive, minimal");
  const ecdsaWithSha256 = [0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
  assert.deepEqual([...algorithm.der], ecdsaWithSha256);
  assert.deepEqual([...innerAlgorithm.der], ecdsaWithSha256);
  assert.deepEqual(issuer.der, subject.der);
  assert.ok(ascii(subject.der).endsWith("bondctl relay"));
  const [notBefore, notAfter] = children(validity);
  assert.equal(notBefore.tag, 0x17);
  assert.equal(ascii(notBefore.content), "260301113456Z", "now - 1 h, whole seconds");
  assert.equal(ascii(notAfter.content), "260331123456Z", "now + 30 days");
  assert.equal(extensions.tag, 0xa3);

  // The signature verifies over the TBSCertificate with the certificate's own key.
  const key = await crypto.subtle.importKey(
    "spki",
    new Uint8Array(spki.der),
    {
      name: "ECDSA",
      namedCurve: "P-256",
    },
    false,
    ["verify"],
  );
  assert.equal(signature.content[0], 0, "no unused bits");
  const raw = derSignatureToRaw(signature.content.subarray(1));
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    raw,
    new Uint8Array(tbs.der),
  );
  assert.ok(ok, "signature verifies");
});

Deno.test("generateSelfSigned() uses GeneralizedTime from 2050 on", async () => {
  const { certPem } = await generateSelfSigned({
    commonName: "late",
    altNames: [],
    days: 2,
    now: new Date("2049-12-31T10:00:00Z"),
  });
  const [tbs] = children(readNode(pemToDer(certPem, "CERTIFICATE")));
  const [notBefore, notAfter] = children(children(tbs)[4]);
  assert.equal(notBefore.tag, 0x17);
  assert.equal(ascii(notBefore.content), "491231090000Z");
  assert.equal(notAfter.tag, 0x18);
  assert.equal(ascii(notAfter.content), "20500102100000Z");
});

// #, options that differ from a good set, what the message must mention
const BAD_OPTIONS: [number, { commonName?: string; altNames?: string[]; days?: number }, string][] =
  [
    [1, { commonName: "" }, "commonName"],
    [2, { commonName: "x".repeat(65) }, "1..64"],
    [3, { days: 0 }, "days 0"],
    [4, { days: 1.5 }, "days 1.5"],
    [5, { days: 40000 }, "days 40000"],
    [6, { altNames: ["not a name"] }, 'altName "not a name"'],
    [7, { altNames: ["fe80::1%eth0"] }, "zone"],
    [8, { altNames: ["300.1.1.1"] }, 'altName "300.1.1.1"'],
    [9, { altNames: ["bad_name.example"] }, 'altName "bad_name.example"'],
  ];

Deno.test("generateSelfSigned() rejects bad options with an OptionError (table)", async () => {
  for (const [n, change, part] of BAD_OPTIONS) {
    await assert.rejects(
      generateSelfSigned({
        commonName: "ok",
        altNames: ["ok.example"],
        days: 1,
        now: NOW,
        ...change,
      }),
      (e: unknown) => e instanceof OptionError && e.message.includes(part),
      `#${n} ${JSON.stringify(change)}`,
    );
  }
  await assert.rejects(
    generateSelfSigned({ commonName: "ok", altNames: [], days: 1, now: new Date(NaN) }),
    OptionError,
  );
});

// #, raw r || s (as [r, s] hex), expected DER hex
const SIGNATURES: [number, string, string, string][] = [
  [1, "01".padStart(64, "0"), "7f".padEnd(64, "0"), `3025020101` + `0220${"7f".padEnd(64, "0")}`],
  [
    2,
    "80".padEnd(64, "0"),
    "01".padStart(64, "0"),
    `3026` + `022100${"80".padEnd(64, "0")}` + "020101",
  ],
  [3, "00".repeat(32), "ff".repeat(32), `3026020100` + `022100${"ff".repeat(32)}`],
  [
    4,
    "0080".padEnd(64, "1"),
    "00007f".padEnd(64, "2"),
    // r keeps 31 octets but needs its 0x00 back (high bit); s drops two zero octets
    `3042` + `022000${"80".padEnd(62, "1")}` + `021e${"7f".padEnd(60, "2")}`,
  ],
];

Deno.test("ecdsaSignatureToDer() strips leading zeros and pads high bits (table)", () => {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const bytes = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
  for (const [n, r, s, der] of SIGNATURES) {
    assert.equal(hex(ecdsaSignatureToDer(bytes(r + s))), der, `#${n}`);
  }
  assert.throws(() => ecdsaSignatureToDer(new Uint8Array(63)), RangeError);
});

// #, input, normalised pin or undefined for a rejection, what the message must mention
const HEX = "3A7B".repeat(16);
const PINS: [number, string, string | undefined, string][] = [
  [1, `sha256:${HEX.toLowerCase()}`, `sha256:${HEX.toLowerCase()}`, ""],
  [2, `sha256:${HEX}`, `sha256:${HEX.toLowerCase()}`, ""],
  [3, `SHA256:${HEX}`, `sha256:${HEX.toLowerCase()}`, ""],
  [4, `sha256:${HEX.match(/../g)!.join(":")}`, `sha256:${HEX.toLowerCase()}`, ""],
  [5, `  sha256:${HEX}  `, `sha256:${HEX.toLowerCase()}`, ""],
  [6, HEX, undefined, 'lacks the "sha256:" prefix'],
  [7, `sha1:${HEX}`, undefined, "not a certificate pin"],
  [8, `sha256:${HEX.slice(2)}`, undefined, "62 hex digits"],
  [9, `sha256:${HEX}00`, undefined, "66 hex digits"],
  [10, `sha256:${HEX.slice(1)}g`, undefined, "not a certificate pin"],
  [11, "", undefined, "not a certificate pin"],
  [12, "sha256:", undefined, "0 hex digits"],
];

Deno.test("parsePin() normalises sha256 pins and rejects the rest (table)", () => {
  for (const [n, input, expected, part] of PINS) {
    if (expected !== undefined) assert.equal(parsePin(input), expected, `#${n}`);
    else {
      assert.throws(
        () => parsePin(input),
        (e: unknown) => e instanceof OptionError && e.message.includes(part),
        `#${n}`,
      );
    }
  }
});

Deno.test("pemToDer() reads the first block of its label and refuses broken armour", async () => {
  const a = await generateSelfSigned({ commonName: "a", altNames: [], days: 1, now: NOW });
  const b = await generateSelfSigned({ commonName: "b", altNames: [], days: 1, now: NOW });
  const chain = `subject=CN = a\n${a.certPem}${b.certPem}`;
  assert.equal(await certificatePin(chain), a.pin);
  assert.equal(await certificatePin(b.keyPem + b.certPem), b.pin, "other labels are skipped");
  assert.throws(
    () => pemToDer(a.keyPem, "CERTIFICATE"),
    /no complete "-----BEGIN CERTIFICATE-----"/,
  );
  assert.throws(() => pemToDer("-----BEGIN X-----\n", "X"), OptionError);
  assert.throws(
    () => pemToDer("-----BEGIN X-----\nMA!=\n-----END X-----\n", "X"),
    /not valid base64/,
  );
  assert.throws(() => pemToDer("-----BEGIN X-----\n-----END X-----\n", "X"), /not valid base64/);
  assert.deepEqual([...pemToDer(derToPem(Uint8Array.of(0x30, 0x00), "X"), "X")], [0x30, 0x00]);
  assert.equal(
    derToPem(Uint8Array.of(0x30, 0x00), "CERTIFICATE"),
    "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
  );
});

Deno.test("generateSelfSigned() passes openssl and pins its fingerprint", async () => {
  if (!(await hasOpenssl())) {
    console.log("skipped: openssl is not installed, so the openssl cross-check cannot run");
    return;
  }
  const { certPem, keyPem, pin } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 30,
    now: new Date(),
  });
  const dir = await Deno.makeTempDir({ prefix: "bondctl_cert_test_" });
  try {
    const cert = `${dir}/cert.pem`;
    const key = `${dir}/key.pem`;
    await Deno.writeTextFile(cert, certPem);
    await Deno.writeTextFile(key, keyPem);
    const text = await openssl("x509", "-noout", "-text", "-in", cert);
    for (
      const expected of [
        "Version: 3 (0x2)",
        "Signature Algorithm: ecdsa-with-SHA256",
        "Issuer: CN = bondctl",
        "Subject: CN = bondctl",
        "NIST CURVE: P-256",
        "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
        "X509v3 Basic Constraints: critical",
        "CA:FALSE",
        "X509v3 Key Usage: critical",
        "Digital Signature",
        "TLS Web Server Authentication",
      ]
    ) {
      assert.ok(text.includes(expected), `openssl -text should show "${expected}"`);
    }
    const fingerprint = await openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", cert);
    const hex = fingerprint.trim().split("=")[1].replaceAll(":", "").toLowerCase();
    assert.equal(`sha256:${hex}`, pin);
    assert.equal(
      parsePin(`sha256:${fingerprint.trim().split("=")[1]}`),
      pin,
      "openssl's form pastes in",
    );
    // The key is the certificate's: the public keys openssl derives from both match.
    assert.equal(
      await openssl("pkey", "-in", key, "-pubout"),
      await openssl("x509", "-in", cert, "-noout", "-pubkey"),
    );
    // The self-signature checks out (a leaf trusting itself, signature checked explicitly).
    await openssl("verify", "-partial_chain", "-check_ss_sig", "-CAfile", cert, cert);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generateSelfSigned() serves Deno.listenTls, trusted by name", async () => {
  const { certPem, keyPem, pin } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 1,
    now: new Date(),
  });
  const seen = await tlsExchange(certPem, keyPem, "localhost", "hello bond");
  assert.equal(seen.authorized, true);
  assert.equal(`sha256:${seen.fingerprint256.replaceAll(":", "").toLowerCase()}`, pin);
  assert.equal(seen.reply, "HELLO BOND");
});

Deno.test("generateSelfSigned() is trusted by IP through iPAddress", async () => {
  const { certPem, keyPem } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 1,
    now: new Date(),
  });
  const seen = await tlsExchange(certPem, keyPem, undefined, "by address");
  assert.equal(seen.authorized, true);
  assert.equal(seen.reply, "BY ADDRESS");
});

Deno.test("generateSelfSigned() is refused for a name it does not carry", async () => {
  const { certPem, keyPem } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 1,
    now: new Date(),
  });
  await assert.rejects(tlsExchange(certPem, keyPem, "relay.example.net", "x"), /altnames/);
});

Deno.test("generateSelfSigned() is refused outside its validity", async () => {
  const { certPem, keyPem } = await generateSelfSigned({
    commonName: "bondctl",
    altNames: TLS_NAMES,
    days: 1,
    now: new Date(Date.now() - 3 * 86400_000),
  });
  // Only the dates differ from the test that connects by name, so the dates are what fails
  // ("unable to verify the first certificate": the TLS layer does not say more).
  await assert.rejects(tlsExchange(certPem, keyPem, "localhost", "x"), /verify/);
});
