/**
 * `send --ui ADDR`: the status page and what it and encoder scripts read, on Deno.serve.
 *
 * Routes (GET only):
 * - `/`: the page (one HTML file, inline CSS and JS: no build step, nothing from the internet);
 * - `/status.json`: the latest snapshot (the `--stats` schema, docs/STATS.md);
 * - `/history.json`: the last minutes of per-link traffic, for the chart;
 * - `/events`: server-sent events, one `snapshot` event per second;
 * - `/bitrate`: the recommended encoder bitrate, bit/s as plain text (`?format=json`: the
 *   whole bitrate object); 503 until a session runs.
 * @module
 */
import type { HistoryPoint } from "../core/status/history.ts";
import type { StatusSnapshot } from "../core/status/snapshot.ts";
import { STATUS_PAGE } from "./status_page.ts";
import { showHostPort, UserError } from "./common.ts";

/** What the server shows; the monitor keeps it current. */
export interface StatusFeed {
  latest(): StatusSnapshot | null;
  history(): HistoryPoint[];
}

/** A running status server. */
export interface StatusServer {
  /** The port it listens on (the real one when 0 was asked for). */
  port: number;
  /** `http://host:port/`. */
  url: string;
  /** Sends `snap` to every page listening on `/events`. */
  publish(snap: StatusSnapshot): void;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const NO_STORE = { "cache-control": "no-store" };

/**
 * Starts the server on `addr`; a UserError naming --ui if it cannot listen.
 * @example
 * ```ts
 * const server = startStatusServer({ host: "127.0.0.1", port: 8080 }, feed);
 * server.publish(snapshot);
 * ```
 */
export function startStatusServer(
  addr: { host: string; port: number },
  feed: StatusFeed,
): StatusServer {
  const clients = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const ac = new AbortController();
  const handler = (req: Request): Response => {
    const url = new URL(req.url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("only GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(STATUS_PAGE, {
          headers: { "content-type": "text/html; charset=utf-8", ...NO_STORE },
        });
      case "/status.json": {
        const snap = feed.latest();
        if (!snap) return new Response("starting\n", { status: 503, headers: NO_STORE });
        return Response.json(snap, { headers: NO_STORE });
      }
      case "/history.json":
        return Response.json(feed.history(), { headers: NO_STORE });
      case "/bitrate":
        return bitrate(feed.latest(), url.searchParams.get("format"));
      case "/events":
        return events(clients, feed.latest());
      default:
        return new Response("not found\n", { status: 404 });
    }
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    // Deno.serve binds before it returns (and throws if it cannot); onListen only silences
    // its default "Listening on" line.
    server = Deno.serve({
      hostname: addr.host,
      port: addr.port,
      signal: ac.signal,
      onListen: () => {},
      onError: () => new Response("internal error\n", { status: 500 }),
    }, handler);
  } catch (e) {
    throw new UserError(`cannot listen on --ui ${showHostPort(addr)}: ${listenError(e)}`);
  }
  const port = server.addr.port;
  const url = `http://${showHostPort({ host: addr.host, port })}/`;
  return {
    port,
    url,
    publish(snap) {
      const chunk = encoder.encode(`event: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
      for (const c of clients) {
        try {
          c.enqueue(chunk);
        } catch {
          clients.delete(c);
        }
      }
    },
    async close() {
      for (const c of clients) {
        try {
          c.close();
        } catch { /* gone */ }
      }
      clients.clear();
      ac.abort();
      await server.finished;
    },
  };
}

/** `/bitrate`: plain bit/s, or the bitrate object as JSON. */
function bitrate(snap: StatusSnapshot | null, format: string | null): Response {
  const b = snap?.sessions[0]?.bitrate ?? null;
  if (format !== null && format !== "json" && format !== "text") {
    return new Response("format is json or text\n", { status: 400 });
  }
  if (!b) {
    return new Response("no session yet\n", { status: 503, headers: NO_STORE });
  }
  if (format === "json") {
    return Response.json({ time: snap!.time, ...b }, { headers: NO_STORE });
  }
  return new Response(`${b.recommendedBps}\n`, {
    headers: { "content-type": "text/plain; charset=utf-8", ...NO_STORE },
  });
}

/** `/events`: a snapshot now (if any), then one a second; a comment keeps proxies awake. */
function events(
  clients: Set<ReadableStreamDefaultController<Uint8Array>>,
  first: StatusSnapshot | null,
): Response {
  let me: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      me = c;
      clients.add(c);
      c.enqueue(encoder.encode(": bondctl status\nretry: 2000\n\n"));
      if (first) c.enqueue(encoder.encode(`event: snapshot\ndata: ${JSON.stringify(first)}\n\n`));
    },
    cancel() {
      clients.delete(me);
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", ...NO_STORE, connection: "keep-alive" },
  });
}

function listenError(e: unknown): string {
  if (e instanceof Deno.errors.AddrInUse) return "the address is already in use";
  if (e instanceof Deno.errors.AddrNotAvailable) return "no interface here has that address";
  if (e instanceof Deno.errors.PermissionDenied) {
    return "permission denied (ports below 1024 need root)";
  }
  return (e as Error).message;
}
