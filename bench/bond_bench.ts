/**
 * `deno task bench`: moves one file, file to file, through the bond over N unshaped loopback
 * links and through one plain TLS connection, in the same run, and reports goodput, CPU time
 * and peak RSS of every process. It asserts nothing: it measures.
 *
 *   deno task bench                       # 1 GiB, 4 links
 *   deno task bench --size 256MiB --links 2 --json
 *
 * CPU time and peak RSS come from /proc/PID (Linux), read every 50 ms until the process exits.
 * @module
 */
import { generateSelfSigned } from "../core/tunnel/certificate.ts";
import { formatBytes, formatRate, parseSize } from "../core/config/mod.ts";
import { selfCommand } from "../cli/commands/demo.ts";

interface ProcStats {
  cpuMs: number;
  peakRssBytes: number;
}

interface RunResult {
  name: string;
  seconds: number;
  goodputBps: number;
  identical: boolean;
  sender: ProcStats;
  receiver: ProcStats;
}

const args = Deno.args;
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const size = parseSize(opt("--size", "1GiB"));
const links = Number(opt("--links", "4"));
const json = args.includes("--json");
/** Extra flags for the bond's receiver and sender (e.g. --max-buffer 8MiB), for experiments. */
const recvExtra = opt("--receive-args", "").split(" ").filter(Boolean);
const sendExtra = opt("--send-args", "").split(" ").filter(Boolean);
const CLK_TCK = 100;

/** Polls /proc/PID for CPU time and peak RSS until `done` settles. */
function watch(pid: number, done: Promise<unknown>): Promise<ProcStats> {
  const stats: ProcStats = { cpuMs: 0, peakRssBytes: 0 };
  let running = true;
  done.finally(() => (running = false));
  // Deno grants /proc only with --allow-all; `cat` (with --allow-run) reads it instead.
  const read = async () => {
    const out = await new Deno.Command("cat", {
      args: [`/proc/${pid}/stat`, `/proc/${pid}/status`],
      stderr: "null",
    }).output();
    if (!out.success) return; // exited
    const text = new TextDecoder().decode(out.stdout);
    const stat = text.slice(0, text.indexOf("\n"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    stats.cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(text);
    if (hwm) stats.peakRssBytes = Math.max(stats.peakRssBytes, Number(hwm[1]) * 1024);
  };
  return (async () => {
    while (running) {
      await read();
      await new Promise((r) => setTimeout(r, 50));
    }
    return stats;
  })();
}

function spawn(cmd: string, argv: string[]) {
  return new Deno.Command(cmd, { args: argv, stdin: "null", stdout: "piped", stderr: "piped" })
    .spawn();
}

async function firstLine(stream: ReadableStream<Uint8Array>, re: RegExp): Promise<RegExpExecArray> {
  let buf = "";
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${re}: ${buf}`);
    buf += value;
    const m = re.exec(buf);
    if (m) {
      // Keep draining so the child never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })();
      return m;
    }
  }
}

async function sha256(path: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return [...h].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function runPair(
  name: string,
  output: string,
  startReceiver: () => Promise<{ proc: Deno.ChildProcess; arg: string }>,
  startSender: (arg: string) => Deno.ChildProcess,
  wantSha: string,
): Promise<RunResult> {
  const { proc: recv, arg } = await startReceiver();
  const t0 = performance.now();
  const send = startSender(arg);
  const sendDrain = send.stdout.pipeTo(new WritableStream()).catch(() => {});
  const sendErr = new Response(send.stderr).text();
  const [ss, rs] = [watch(send.pid, send.status), watch(recv.pid, recv.status)];
  const [sst, rst] = await Promise.all([send.status, recv.status]);
  const seconds = (performance.now() - t0) / 1000;
  await sendDrain;
  const err = await sendErr;
  if (!sst.success || !rst.success) {
    throw new Error(`${name}: sender exit ${sst.code}, receiver exit ${rst.code}\n${err}`);
  }
  const identical = (await sha256(output)) === wantSha;
  await Deno.remove(output);
  return {
    name,
    seconds,
    goodputBps: (size * 8) / seconds,
    identical,
    sender: await ss,
    receiver: await rs,
  };
}

const dir = await Deno.makeTempDir({ prefix: "bondctl-bench-" });
try {
  const input = `${dir}/input.bin`;
  const f = await Deno.open(input, { write: true, create: true });
  const piece = new Uint8Array(1 << 20);
  for (let left = size; left > 0; left -= piece.length) {
    for (let o = 0; o < piece.length; o += 65536) {
      crypto.getRandomValues(piece.subarray(o, o + 65536));
    }
    await f.write(piece.subarray(0, Math.min(left, piece.length)));
  }
  f.close();
  const want = await sha256(input);
  const cert = await generateSelfSigned({
    commonName: "localhost",
    altNames: ["localhost", "127.0.0.1"],
    days: 1,
    now: new Date(),
  });
  await Deno.writeTextFile(`${dir}/cert.pem`, cert.certPem);
  await Deno.writeTextFile(`${dir}/key.pem`, cert.keyPem);
  await Deno.writeTextFile(`${dir}/token`, crypto.randomUUID());
  const deno = Deno.execPath();
  const pipe = new URL("./tls_pipe.ts", import.meta.url).pathname;
  const self = selfCommand();
  const output = `${dir}/output.bin`;

  const results: RunResult[] = [];
  results.push(
    await runPair(
      "plain TLS, 1 connection",
      output,
      async () => {
        const p = spawn(deno, [
          "run",
          "-A",
          pipe,
          "recv",
          `${dir}/cert.pem`,
          `${dir}/key.pem`,
          output,
        ]);
        p.stderr.pipeTo(new WritableStream()).catch(() => {});
        const m = await firstLine(p.stdout, /listening (\d+)/);
        return { proc: p, arg: m[1] };
      },
      (port) => spawn(deno, ["run", "-A", pipe, "send", port, input]),
      want,
    ),
  );
  results.push(
    await runPair(`bondctl, ${links} links`, output, async () => {
      const p = spawn(self.cmd, [
        ...self.args,
        "receive",
        "--listen",
        "127.0.0.1:0",
        "--cert",
        `${dir}/cert.pem`,
        "--key",
        `${dir}/key.pem`,
        "--token-file",
        `${dir}/token`,
        "--output",
        output,
        "--once",
        "--quiet",
        ...recvExtra,
      ]);
      p.stdout.pipeTo(new WritableStream()).catch(() => {});
      const m = await firstLine(p.stderr, /listening on .*:(\d+)/);
      return { proc: p, arg: m[1] };
    }, (port) =>
      spawn(self.cmd, [
        ...self.args,
        "send",
        "--server",
        `127.0.0.1:${port}`,
        "--ca",
        `${dir}/cert.pem`,
        "--servername",
        "localhost",
        "--token-file",
        `${dir}/token`,
        "--input",
        input,
        ...sendExtra,
        ...Array.from({ length: links }, (_, i) => ["--link", `127.0.0.${i + 2}`]).flat(),
      ]), want),
  );
  const base = results[0].goodputBps;
  if (json) {
    console.log(
      JSON.stringify(
        { sizeBytes: size, links, results, ratio: results[1].goodputBps / base },
        null,
        2,
      ),
    );
  } else {
    console.log(`bench: ${formatBytes(size)} file to file on loopback, ${links} bond links`);
    console.log(
      "run".padEnd(26) + "goodput".padStart(14) + "ratio".padStart(8) + "send CPU".padStart(10) +
        "recv CPU".padStart(10) + "send RSS".padStart(11) + "recv RSS".padStart(11) + "  intact",
    );
    for (const r of results) {
      console.log(
        r.name.padEnd(26) + formatRate(r.goodputBps).padStart(14) +
          (r.goodputBps / base).toFixed(2).padStart(8) +
          `${(r.sender.cpuMs / 1000).toFixed(1)} s`.padStart(10) +
          `${(r.receiver.cpuMs / 1000).toFixed(1)} s`.padStart(10) +
          formatBytes(r.sender.peakRssBytes).padStart(11) +
          formatBytes(r.receiver.peakRssBytes).padStart(11) + `  ${r.identical ? "yes" : "NO"}`,
      );
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
