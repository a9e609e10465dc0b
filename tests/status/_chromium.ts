/**
 * Headless Chromium for tests, driven over the DevTools protocol from Deno: Debian's
 * `chromium` (never a downloaded browser) started with its own profile in a temp dir, the
 * browser's WebSocket URL read from its stderr, one page opened and attached to. Enough for a
 * test: evaluate an expression in the page, set the viewport, take a screenshot.
 * @module
 */

/** Where Debian's package puts it. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why Chromium cannot run here, or null when it can. */
export async function chromiumMissing(): Promise<string | null> {
  const st = await Deno.stat(CHROMIUM).catch(() => null);
  return st?.isFile ? null : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

/** A running browser with one page. */
export interface Browser {
  /** Evaluates `expression` in the page and returns its value (awaited, by value). */
  evaluate<T>(expression: string): Promise<T>;
  /** Sends a DevTools command to the page. */
  send(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Navigates the page to `url` and waits for its load event. */
  open(url: string): Promise<void>;
  /** A PNG of the page's viewport. */
  screenshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

interface Pending {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
}

/**
 * Starts Chromium and opens a blank page of `width` x `height`.
 * @example
 * ```ts
 * const b = await launchChromium({ width: 1280, height: 900 });
 * await b.open("http://127.0.0.1:8080/");
 * const title = await b.evaluate<string>("document.title");
 * await b.close();
 * ```
 */
export async function launchChromium(
  o: { width: number; height: number; timeoutMs?: number },
): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "bondctl-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderrLines: string[] = [];
  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`chromium printed no DevTools URL:\n${stderrLines.join("\n")}`)),
      o.timeoutMs ?? 30_000,
    );
    (async () => {
      let buf = "";
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          stderrLines.push(line);
          const m = /DevTools listening on (ws:\/\/\S+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        }
      }
      clearTimeout(timer);
      reject(new Error(`chromium exited:\n${stderrLines.join("\n")}`));
    })();
  });
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`cannot connect to ${wsUrl}`));
  });
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners: ((msg: Record<string, unknown>) => void)[] = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data as string);
    if (typeof msg.id === "number" && pending.has(msg.id)) {
      const p = pending.get(msg.id)!;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else p.resolve(msg.result ?? {});
      return;
    }
    for (const l of listeners) l(msg);
  };
  const command = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> => {
    const id = nextId++;
    ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  };
  const { targetId } = await command("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await command("Target.attachToTarget", { targetId, flatten: true }) as {
    sessionId: string;
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    command(method, params, sessionId);
  await send("Page.enable");
  await send("Emulation.setDeviceMetricsOverride", {
    width: o.width,
    height: o.height,
    deviceScaleFactor: 1,
    mobile: false,
  });
  return {
    send,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await send("Runtime.evaluate", {
        expression,
        returnByValue: true,
        awaitPromise: true,
      }) as { result: { value: T }; exceptionDetails?: { text: string } };
      if (r.exceptionDetails) throw new Error(`in the page: ${JSON.stringify(r.exceptionDetails)}`);
      return r.result.value;
    },
    async open(url: string) {
      const loaded = new Promise<void>((resolve) => {
        const l = (msg: Record<string, unknown>) => {
          if (msg.method === "Page.loadEventFired" && msg.sessionId === sessionId) {
            listeners.splice(listeners.indexOf(l), 1);
            resolve();
          }
        };
        listeners.push(l);
      });
      await send("Page.navigate", { url });
      await loaded;
    },
    async screenshot() {
      const r = await send("Page.captureScreenshot", { format: "png" }) as { data: string };
      return Uint8Array.from(atob(r.data), (c) => c.charCodeAt(0));
    },
    async close() {
      try {
        ws.close();
      } catch { /* closed */ }
      for (const p of pending.values()) p.reject(new Error("browser closed"));
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
