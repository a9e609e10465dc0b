/**
 * Sources and sinks over the process's standard streams and files: what `--input` and
 * `--output` name. Opening errors become one clear line naming the path.
 * @module
 */
import type { Sink, Source } from "./driver_io.ts";

/** An input or output could not be opened or used. */
export class StreamError extends Error {
  override name = "StreamError";
}

const READ_SIZE = 256 * 1024;

function readerSource(
  file: { read(b: Uint8Array): Promise<number | null>; close(): void },
): Source {
  let closed = false;
  return {
    async read() {
      if (closed) return null;
      const buf = new Uint8Array(READ_SIZE);
      const n = await file.read(buf);
      if (n === null) return null;
      // A short read is copied out: a view would keep the whole read buffer alive for as long
      // as its bytes wait in the queue or in flight, which under backpressure (many short
      // reads from a pipe) grew the sender by hundreds of MiB.
      return n === buf.length ? buf : buf.slice(0, n);
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        file.close();
      } catch { /* already closed */ }
    },
  };
}

/**
 * Opens `--input`: "-" (or /dev/stdin) for standard input, else a file path.
 * @example
 * ```ts
 * const src = await openSource("-");
 * ```
 */
export async function openSource(spec: string): Promise<Source> {
  if (spec === "-" || spec === "/dev/stdin") {
    // Closing stdin on the first SIGINT is how reading stops; a pending read then returns.
    let stopped = false;
    const src = readerSource({ read: (b) => Deno.stdin.read(b), close: () => {} });
    return {
      read: () => (stopped ? Promise.resolve(null) : src.read()),
      close: () => void (stopped = true),
    };
  }
  try {
    const file = await Deno.open(spec, { read: true });
    const st = await file.stat();
    if (st.isDirectory) {
      file.close();
      throw new StreamError(`--input ${spec} is a directory, not a file`);
    }
    return readerSource(file);
  } catch (e) {
    if (e instanceof StreamError) throw e;
    throw new StreamError(`cannot read --input ${spec}: ${describe(e)}`);
  }
}

/**
 * The process's own output stream a path names ("-" and /dev/stdout: standard output;
 * /dev/stderr: standard error), else null. Opening those paths needs every permission in
 * Deno, and bondctl gives some up at start, so they are never opened as files.
 * @example
 * ```ts
 * const out = ownOutput("/dev/stderr") ?? await Deno.open(path, { write: true });
 * ```
 */
export function ownOutput(path: string): typeof Deno.stdout | typeof Deno.stderr | null {
  if (path === "-" || path === "/dev/stdout") return Deno.stdout;
  if (path === "/dev/stderr") return Deno.stderr;
  return null;
}

/**
 * Opens `--output`: "-" (or /dev/stdout) for standard output, /dev/stderr, else a file path
 * (created or truncated; with `makeDirs`, its missing directories are made first).
 * @example
 * ```ts
 * const sink = await openSink("out.ts");
 * ```
 */
export async function openSink(spec: string, opts: { makeDirs?: boolean } = {}): Promise<Sink> {
  const own = ownOutput(spec);
  if (own) return fileSink(own, false);
  try {
    const open = () => Deno.open(spec, { write: true, create: true, truncate: true });
    const slash = spec.lastIndexOf("/");
    let file: Deno.FsFile;
    try {
      file = await open();
    } catch (e) {
      // Directories are made only when the file's are missing: mkdir (and stat) on /dev need
      // every permission in Deno, which receive gave up at start (`--output /dev/null` failed
      // at every session).
      if (!(opts.makeDirs && slash > 0 && e instanceof Deno.errors.NotFound)) throw e;
      await Deno.mkdir(spec.slice(0, slash), { recursive: true });
      file = await open();
    }
    return fileSink(file, true);
  } catch (e) {
    throw new StreamError(`cannot write --output ${spec}: ${describe(e)}`);
  }
}

function fileSink(
  file: { write(b: Uint8Array): Promise<number>; close(): void },
  closeIt: boolean,
): Sink {
  return {
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) off += await file.write(chunk.subarray(off));
    },
    close() {
      if (closeIt) {
        try {
          file.close();
        } catch { /* already closed */ }
      }
      return Promise.resolve();
    },
  };
}

function describe(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  if (e instanceof Deno.errors.NotCapable) {
    // Deno's own words say to run with --allow-all, which does not help: bondctl gives up the
    // permissions it does not need, and Deno then refuses device and /proc paths.
    return "Deno refuses this device or /proc path once a program gives up permissions, as " +
      "bondctl does at start; use a regular file, or - for standard input or output";
  }
  return (e as Error).message;
}

/**
 * A source that gives nothing until it is closed, then ends: stream 0 of a session whose input
 * is a listener (its streams carry the data; the session lasts until the sender stops).
 * @example
 * ```ts
 * const src = idleSource(); // read() resolves null once src.close() is called
 * ```
 */
export function idleSource(): Source {
  let closed = false;
  const waiting: ((v: null) => void)[] = [];
  return {
    read() {
      if (closed) return Promise.resolve(null);
      return new Promise((r) => waiting.push(r));
    },
    close() {
      closed = true;
      for (const w of waiting.splice(0)) w(null);
    },
  };
}
