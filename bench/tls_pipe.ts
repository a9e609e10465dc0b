/**
 * The benchmark's baseline: one plain TLS connection moving a file to a file, with the same
 * TLS stacks bondctl uses (a `node:tls` client, a `Deno.listenTls` server), in two processes.
 *
 *   deno run -A bench/tls_pipe.ts recv CERT KEY OUTPUT   # prints "listening PORT"
 *   deno run -A bench/tls_pipe.ts send PORT INPUT
 * @module
 */
import tls from "node:tls";

const [mode, ...rest] = Deno.args;
if (mode === "recv") {
  const [certFile, keyFile, output] = rest;
  const l = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
  });
  console.log(`listening ${(l.addr as Deno.NetAddr).port}`);
  const conn = await l.accept();
  const out = await Deno.open(output, { write: true, create: true, truncate: true });
  await conn.readable.pipeTo(out.writable);
  l.close();
} else if (mode === "send") {
  const [port, input] = rest;
  const socket = tls.connect({ host: "127.0.0.1", port: Number(port), rejectUnauthorized: false });
  await new Promise((r) => socket.once("secureConnect", r));
  const file = await Deno.open(input, { read: true });
  for await (const chunk of file.readable) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
  }
  await new Promise<void>((r) => socket.end(() => r()));
  socket.destroy();
} else {
  console.error("usage: tls_pipe.ts recv CERT KEY OUTPUT | send PORT INPUT");
  Deno.exit(2);
}
