/**
 * How much HAProxy adds to a link's opening: the time from TCP connect to the relay's answer
 * to HELLO (TCP + TLS 1.3 + the CHALLENGE/HELLO round trip), straight to one relay and through
 * HAProxy, alternated so that both see the same machine. Each try is a join of a session that
 * does not exist: the relay checks it and refuses it (UNKNOWN_SESSION) after the same round
 * trips as a real join, so no session is opened on the relay (it logs a throttled refusal).
 *
 *   deno run -A deploy/haproxy/handshake_latency.ts --direct 127.0.0.1:7501 \
 *     --via 127.0.0.1:7443 --servername relay.example.net --ca ca.pem [--count 300]
 *
 * Prints the median and the 95th percentile of each, in ms, and a JSON line.
 * @module
 */
import { parseArgs } from "node:util";
import { dialTls, type ServerTrust } from "../../core/tunnel/tls_client_io.ts";
import { FramedLink } from "../../core/tunnel/framed_link_io.ts";
import {
  clientHandshake,
  newSessionId,
  RefusedError,
  sessionLabel,
} from "../../core/session/handshake.ts";
import { DEFAULT_VPN_OUI } from "../../core/frame/constants.ts";
import { parseHostPort } from "../../core/config/mod.ts";
import { CloseCode } from "../../core/frame/types.ts";

const { values } = parseArgs({
  options: {
    direct: { type: "string" },
    via: { type: "string" },
    servername: { type: "string" },
    ca: { type: "string" },
    pin: { type: "string" },
    count: { type: "string", default: "300" },
  },
});
if (!values.direct || !values.via || !values.servername || (!values.ca === !values.pin)) {
  console.error(
    "usage: handshake_latency.ts --direct HOST:PORT --via HOST:PORT --servername NAME " +
      "(--ca FILE | --pin sha256:HEX) [--count N]",
  );
  Deno.exit(2);
}
const trust: ServerTrust = values.ca
  ? { kind: "ca", caPem: await Deno.readTextFile(values.ca) }
  : { kind: "pin", pin: values.pin! };
const count = Number(values.count);

/** One opening to `to`, in ms; the relay must refuse it as UNKNOWN_SESSION. */
async function once(to: string): Promise<number> {
  const { host, port } = parseHostPort(to);
  const sessionId = newSessionId();
  const started = performance.now();
  const t = await dialTls({
    host,
    port,
    servername: values.servername,
    sni: `${await sessionLabel(sessionId)}.${values.servername}`,
    trust,
    timeoutMs: 10_000,
  });
  try {
    await clientHandshake(new FramedLink(t, DEFAULT_VPN_OUI), {
      oui: DEFAULT_VPN_OUI,
      linkIndex: 1,
      caps: { kind: "ethernet", name: "probe", localAddress: "", cost: 1, priority: "primary" },
      sessionId,
      token: new Uint8Array(32),
      sessionKey: new Uint8Array(32), // a join: refused before any proof can matter
      timeoutMs: 10_000,
    });
    throw new Error(`${to} accepted a join of a session it cannot hold`);
  } catch (e) {
    if (!(e instanceof RefusedError && e.code === CloseCode.UNKNOWN_SESSION)) throw e;
    return performance.now() - started;
  } finally {
    t.destroy();
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const direct: number[] = [];
const via: number[] = [];
await once(values.direct); // warm-up: module loading, first TLS context
await once(values.via);
for (let i = 0; i < count; i++) {
  direct.push(await once(values.direct));
  via.push(await once(values.via));
}
const row = (name: string, xs: number[]) =>
  `${name.padEnd(8)} median ${pct(xs, 50).toFixed(2)} ms  p95 ${pct(xs, 95).toFixed(2)} ms`;
console.log(`${count} openings each (TCP + TLS 1.3 + CHALLENGE/HELLO/answer):`);
console.log(row("direct", direct));
console.log(row("haproxy", via));
console.log(JSON.stringify({
  count,
  directMedianMs: pct(direct, 50),
  directP95Ms: pct(direct, 95),
  haproxyMedianMs: pct(via, 50),
  haproxyP95Ms: pct(via, 95),
}));
