/**
 * `receive --metrics ADDR`: an HTTP server with `/metrics` (Prometheus text 0.0.4) and
 * `/healthz` (200 "ok" while the relay listens, 503 once it is closing). It renders what it
 * is given on each request and decides nothing.
 * @module
 */
import { PROMETHEUS_CONTENT_TYPE } from "../core/metrics/prometheus.ts";
import type { HostPort } from "../core/config/mod.ts";

/** A running metrics server. */
export interface MetricsServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `render()` at /metrics and `healthy()` at /healthz on `addr`.
 * @example
 * ```ts
 * const m = await serveMetrics({ host: "127.0.0.1", port: 9090 }, () => text, () => true);
 * ```
 */
export async function serveMetrics(
  addr: Pick<HostPort, "host" | "port">,
  render: () => string,
  healthy: () => boolean,
): Promise<MetricsServer> {
  const { promise: listening, resolve, reject } = Promise.withResolvers<number>();
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: addr.host,
      port: addr.port,
      onListen: ({ port }) => resolve(port),
      onError: (e) => new Response(`error: ${(e as Error).message}\n`, { status: 500 }),
    }, (req) => handle(req, render, healthy));
  } catch (e) {
    reject(e);
    throw e;
  }
  const port = await listening;
  return { port, close: () => server.shutdown() };
}

function handle(req: Request, render: () => string, healthy: () => boolean): Response {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const path = new URL(req.url).pathname;
  if (path === "/metrics") {
    return new Response(render(), { headers: { "content-type": PROMETHEUS_CONTENT_TYPE } });
  }
  if (path === "/healthz") {
    const ok = healthy();
    return new Response(ok ? "ok\n" : "closing\n", {
      status: ok ? 200 : 503,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  return new Response("not found: try /metrics or /healthz\n", { status: 404 });
}
