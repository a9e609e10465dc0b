/**
 * `bondctl demo`: a receiver and a sender on this machine, bonded over loopback addresses
 * (127.0.0.2, .3, ...) as links, moving random data and checking it arrived intact.
 * It runs the real commands as separate processes, as a user would.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { formatBytes } from "../../core/config/mod.ts";
import { sizeArg, UserError } from "../common.ts";

/** How to start this same program again (from source under `deno`, or a compiled binary). */
export function selfCommand(): { cmd: string; args: string[] } {
  const exec = Deno.execPath();
  if (/(^|\/)deno(\.exe)?$/.test(exec)) {
    const main = new URL("../main.ts", import.meta.url);
    return {
      cmd: exec,
      args: [
        "run",
        "--quiet",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-sys",
        "--allow-run",
        main.href,
      ],
    };
  }
  return { cmd: exec, args: [] };
}

async function sha256(path: string): Promise<string> {
  const data = await Deno.readFile(path);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Collects a child's stderr line by line, echoing it with a prefix. */
function follow(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  onLine: (l: string) => void,
): Promise<void> {
  return (async () => {
    const dec = new TextDecoderStream();
    let buf = "";
    for await (const chunk of stream.pipeThrough(dec)) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        console.error(`${prefix} ${line}`);
        onLine(line);
      }
    }
    if (buf) console.error(`${prefix} ${buf}`);
  })();
}

/**
 * Builds the `demo` command.
 * @example
 * ```ts
 * program.addCommand(demoCommand());
 * ```
 */
export function demoCommand() {
  return new Command("demo")
    .description("run a receiver and a sender on this machine over loopback links")
    .option("--size <size>", "how much random data to send", sizeArg(1), 16 * 1024 * 1024)
    .option("--links <n>", "how many loopback links (127.0.0.2 onwards)", (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 1 || n > 8) throw new UserError("--links takes 1 to 8");
      return n;
    }, 4)
    .addHelpText("after", "\nExample:\n  bondctl demo --size 64MiB --links 4")
    .action(async (opts) => {
      const dir = await Deno.makeTempDir({ prefix: "bondctl-demo-" });
      try {
        const input = `${dir}/input.bin`;
        const output = `${dir}/output.bin`;
        const tokenFile = `${dir}/token`;
        await Deno.writeTextFile(tokenFile, crypto.randomUUID(), { mode: 0o600 });
        // Random data in 1 MiB pieces (getRandomValues takes at most 64 KiB at a time).
        const f = await Deno.open(input, { write: true, create: true });
        const piece = new Uint8Array(1 << 20);
        for (let left = opts.size; left > 0; left -= piece.length) {
          for (let o = 0; o < piece.length; o += 65536) {
            crypto.getRandomValues(piece.subarray(o, o + 65536));
          }
          await f.write(piece.subarray(0, Math.min(left, piece.length)));
        }
        f.close();
        console.error(
          `demo: ${formatBytes(opts.size)} of random data, ${opts.links} loopback links`,
        );

        const self = selfCommand();
        const receiver = new Deno.Command(self.cmd, {
          args: [
            ...self.args,
            "receive",
            "--listen",
            "127.0.0.1:0",
            "--self-signed",
            "--token-file",
            tokenFile,
            "--output",
            output,
            "--once",
          ],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const ready = Promise.withResolvers<{ port: number; pin: string }>();
        let pin = "";
        const recvLog = follow(receiver.stderr, "  [receive]", (line) => {
          const p = /--pin (sha256:[0-9a-f]+)/.exec(line);
          if (p) pin = p[1];
          const m = /listening on .*:(\d+)$/.exec(line);
          if (m) ready.resolve({ port: Number(m[1]), pin });
        });
        receiver.status.then(() =>
          ready.reject(new UserError("the receiver exited before listening"))
        );
        const { port } = await ready.promise;

        const links = Array.from({ length: opts.links }, (_, i) => ["--link", `127.0.0.${i + 2}`])
          .flat();
        const started = performance.now();
        const sender = new Deno.Command(self.cmd, {
          args: [
            ...self.args,
            "send",
            "--server",
            `127.0.0.1:${port}`,
            "--pin",
            pin,
            "--token-file",
            tokenFile,
            "--input",
            input,
            ...links,
          ],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const sendLog = follow(sender.stderr, "  [send]", () => {});
        const [sst, rst] = await Promise.all([sender.status, receiver.status]);
        await Promise.all([sendLog, recvLog]);
        const secs = (performance.now() - started) / 1000;
        const same = (await sha256(input)) === (await sha256(output).catch(() => "missing"));
        console.error(
          `demo: sender exit ${sst.code}, receiver exit ${rst.code}; ` +
            `${formatBytes(opts.size)} in ${secs.toFixed(2)} s; output ${
              same ? "identical to the input (SHA-256)" : "DIFFERS from the input"
            }`,
        );
        if (!same || sst.code !== 0 || rst.code !== 0) throw new UserError("the demo failed");
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    });
}
