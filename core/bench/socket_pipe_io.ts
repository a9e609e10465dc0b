/**
 * The kernel contenders' transfer program: one TCP or MPTCP connection moving standard input
 * to standard output, with the socket options that put the kernel at its best, set through
 * libc by FFI (Deno's own sockets expose neither IPPROTO_MPTCP nor TCP_CONGESTION):
 *
 *   deno run --allow-ffi --allow-read socket_pipe_io.ts listen HOST:PORT [--mptcp]
 *     # accepts one connection, copies it to stdout; prints "listening PORT" on stderr
 *   deno run --allow-ffi --allow-read socket_pipe_io.ts connect HOST:PORT [--from ADDR]
 *     [--mptcp] [--cc cubic] [--notsent-lowat BYTES]   # copies stdin to the connection
 *
 * MPTCP is asked for directly (`socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)`), which is what
 * `mptcpize run` makes a program do; the kernel's path manager adds the subflows. A kernel
 * without MPTCP fails at `socket()`: the program says so and exits 3, which the bench reports
 * as "skipped". Blocking calls run on Deno's FFI threads (`nonblocking: true`). IPv4 only,
 * Linux only. Exit: 0 done, 1 failure, 2 usage, 3 MPTCP missing.
 * @module
 */

const AF_INET = 2;
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const IPPROTO_MPTCP = 262;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const TCP_NODELAY = 1;
const TCP_CONGESTION = 13;
const TCP_NOTSENT_LOWAT = 25;
const SHUT_WR = 1;
const CHUNK = 256 * 1024;

type Libc = ReturnType<typeof openLibc>;

function openLibc() {
  return Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
    bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
    listen: { parameters: ["i32", "i32"], result: "i32" },
    getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
    connect: { parameters: ["i32", "buffer", "u32"], result: "i32", nonblocking: true },
    accept: { parameters: ["i32", "pointer", "pointer"], result: "i32", nonblocking: true },
    read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
    shutdown: { parameters: ["i32", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
    __errno_location: { parameters: [], result: "pointer" },
    strerror: { parameters: ["i32"], result: "pointer" },
  });
}

/** A failure with the exit code it ends the program with. */
class PipeError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function errno(libc: Libc): string {
  const p = libc.symbols.__errno_location();
  if (p === null) return "unknown error";
  const n = new Deno.UnsafePointerView(p).getInt32();
  const s = libc.symbols.strerror(n);
  return s === null ? `errno ${n}` : Deno.UnsafePointerView.getCString(s);
}

/** struct sockaddr_in for `host:port` (IPv4). */
function sockaddr(host: string, port: number): Uint8Array {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) {
    throw new PipeError(`"${host}" is not an IPv4 address`, 2);
  }
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set(parts, 4);
  return b;
}

function hostPort(s: string | undefined): [string, number] {
  const m = /^([\d.]+):(\d+)$/.exec(s ?? "");
  if (!m) throw new PipeError(`"${s}" is not IPV4:PORT`, 2);
  return [m[1], Number(m[2])];
}

function setInt(libc: Libc, fd: number, level: number, opt: number, v: number, what: string) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  if (libc.symbols.setsockopt(fd, level, opt, b, 4) !== 0) {
    throw new PipeError(`setsockopt ${what}: ${errno(libc)}`);
  }
}

function newSocket(libc: Libc, mptcp: boolean): number {
  const fd = libc.symbols.socket(AF_INET, SOCK_STREAM, mptcp ? IPPROTO_MPTCP : 0);
  if (fd < 0) {
    const why = errno(libc);
    if (mptcp) throw new PipeError(`this kernel has no MPTCP (socket: ${why})`, 3);
    throw new PipeError(`socket: ${why}`);
  }
  return fd;
}

async function writeAll(out: { write(b: Uint8Array): Promise<number> }, b: Uint8Array) {
  let o = 0;
  while (o < b.length) o += await out.write(b.subarray(o));
}

async function listenMode(libc: Libc, args: string[]): Promise<void> {
  const [host, port] = hostPort(args[0]);
  const fd = newSocket(libc, args.includes("--mptcp"));
  setInt(libc, fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (libc.symbols.bind(fd, sockaddr(host, port), 16) !== 0) {
    throw new PipeError(`bind ${host}:${port}: ${errno(libc)}`);
  }
  if (libc.symbols.listen(fd, 4) !== 0) throw new PipeError(`listen: ${errno(libc)}`);
  const addr = new Uint8Array(16);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, 16, true);
  libc.symbols.getsockname(fd, addr, len);
  console.error(`listening ${new DataView(addr.buffer).getUint16(2, false)}`);
  const conn = await libc.symbols.accept(fd, null, null);
  if (conn < 0) throw new PipeError("accept failed");
  // The listener stays open: MPTCP's additional subflows (MP_JOIN) arrive through it.
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = Number(await libc.symbols.read(conn, buf, BigInt(CHUNK)));
    if (n < 0) throw new PipeError("read from the connection failed (reset?)");
    if (n === 0) break;
    await writeAll(Deno.stdout, buf.subarray(0, n));
  }
  libc.symbols.close(conn);
  libc.symbols.close(fd);
}

async function connectMode(libc: Libc, args: string[]): Promise<void> {
  const [host, port] = hostPort(args[0]);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const fd = newSocket(libc, args.includes("--mptcp"));
  setInt(libc, fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  const cc = opt("--cc");
  if (cc) {
    const name = new TextEncoder().encode(cc);
    if (libc.symbols.setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, name.length) !== 0) {
      throw new PipeError(`congestion control "${cc}" refused: ${errno(libc)}`);
    }
  }
  const lowat = opt("--notsent-lowat");
  if (lowat) setInt(libc, fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, Number(lowat), "TCP_NOTSENT_LOWAT");
  const from = opt("--from");
  if (from && libc.symbols.bind(fd, sockaddr(from, 0), 16) !== 0) {
    throw new PipeError(`bind to ${from}: ${errno(libc)}`);
  }
  if ((await libc.symbols.connect(fd, sockaddr(host, port), 16)) !== 0) {
    throw new PipeError(`connect to ${host}:${port}${from ? ` from ${from}` : ""} failed`);
  }
  console.error("connected");
  const buf = new Uint8Array(CHUNK);
  for (;;) {
    const n = await Deno.stdin.read(buf);
    if (n === null) break;
    let o = 0;
    while (o < n) {
      const w = Number(await libc.symbols.write(fd, buf.subarray(o, n), BigInt(n - o)));
      if (w < 0) throw new PipeError("write to the connection failed (reset?)");
      o += w;
    }
  }
  libc.symbols.shutdown(fd, SHUT_WR);
  // Wait for the peer's end, so that exit does not cut what is still in flight.
  const sink = new Uint8Array(4096);
  while (Number(await libc.symbols.read(fd, sink, 4096n)) > 0) { /* nothing is sent back */ }
  libc.symbols.close(fd);
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  let code = 0;
  try {
    const libc = openLibc();
    if (mode === "listen") await listenMode(libc, rest);
    else if (mode === "connect") await connectMode(libc, rest);
    else throw new PipeError("usage: socket_pipe_io.ts listen HOST:PORT | connect HOST:PORT", 2);
  } catch (e) {
    console.error(`socket-pipe: ${(e as Error).message}`);
    code = e instanceof PipeError ? e.code : 1;
  }
  Deno.exit(code);
}
