/**
 * Runs bondctl (`main()` from cli/main.ts) with WebCrypto's `sign` wrapped so that every
 * signature and MAC the process computes (the handshake's proofs and the derived session
 * key among them) is appended, in hex, to the file named by BONDCTL_TEST_HMAC_RECORD. Used
 * by tests/metrics/logs_test.ts to check that none of them ever reaches a log.
 * @module
 */
const record = Deno.env.get("BONDCTL_TEST_HMAC_RECORD");
if (!record) throw new Error("set BONDCTL_TEST_HMAC_RECORD to a file");
const subtle = crypto.subtle;
const sign = subtle.sign.bind(subtle);
const hex = (b: ArrayBuffer) =>
  [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
Object.defineProperty(subtle, "sign", {
  value: async (...args: Parameters<SubtleCrypto["sign"]>) => {
    const out = await sign(...args);
    Deno.writeTextFileSync(record, hex(out) + "\n", { append: true });
    return out;
  },
});
const { main } = await import("../../cli/main.ts");
Deno.exit(await main(Deno.args));
