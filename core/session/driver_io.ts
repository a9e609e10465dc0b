/**
 * Runs a `BondEndpoint` against the real world: links, the input, the output and the clock.
 * It holds no decisions; each turn of its loop is the endpoint's numbered steps:
 * 1. frames that arrived go to `receive()` (as they come, through the link handlers);
 * 2. `pollTransmit()` until null, each frame written to its link (a full link is `blocked`
 *    until its transport drains);
 * 3. in-order output is written, one write at a time, so a slow output stops taking;
 * 4. input is read while the endpoint has room;
 * 5. events are acted on (silent links closed, completion, failure);
 * 6. a timer is set for `nextTimeout()`.
 * @module
 */
import { BondEndpoint, type EndpointEvent } from "./endpoint.ts";
import type { FramedLink } from "../tunnel/framed_link_io.ts";
import { encodeFrame, encodeFrameParts } from "../frame/mod.ts";
import type { CloseCode, LinkCaps } from "../frame/types.ts";
import { StreamCode } from "../frame/types.ts";
import type { StreamKind } from "./stream_header.ts";

/** A stream's state in the driver: its port and whether a write or close is under way. */
interface DriverStream {
  port: StreamPort;
  writing: boolean;
  outputClosed: boolean;
  wakeInput: (() => void) | null;
}

/** Where input comes from. `read()` resolves null at the end. */
export interface Source {
  read(): Promise<Uint8Array | null>;
  close(): void;
}

/** Where output goes. */
export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * One stream's two ends on this side: what to read into it and where its output goes.
 * `source.read()` resolving null ends this side's half; `sink.close()` ends the other's.
 */
export interface StreamPort {
  source: Source;
  sink: Sink;
  /** The stream was reset (by the peer, or because of a limit): drop the connection now. */
  reset(code: number, reason: string, byPeer: boolean): void;
  /** The stream ended in order both ways. */
  closed?(): void;
}

/** What this side does with a stream the peer opens: a port, or a refusal (a reset code). */
export type StreamAcceptor = (
  id: number,
  kind: StreamKind,
  label: string,
) => Promise<StreamPort | { refuse: number; reason: string }>;

/** How a session ended. */
export type SessionOutcome =
  | { kind: "complete" }
  | { kind: "failed"; code: number; reason: string; byPeer: boolean };

/** Messages for the operator. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  debug(msg: string): void;
}

/** The real clock, in ms. */
export const realClock = (): number => performance.now();

/**
 * @example
 * ```ts
 * const driver = new SessionDriver(endpoint, log);
 * driver.attachLink(1, framedLink);
 * driver.startInput(source); driver.startOutput(sink);
 * const outcome = await driver.done;
 * ```
 */
export class SessionDriver {
  readonly endpoint: BondEndpoint;
  readonly done: Promise<SessionOutcome>;
  #log: Logger;
  #links = new Map<number, FramedLink>();
  #resolve!: (o: SessionOutcome) => void;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt = Infinity;
  #scheduled = false;
  #finished = false;
  #sink: Sink | null = null;
  #writing = false;
  #outputClosed = false;
  #discardOutput = false;
  #wakeInput: (() => void) | null = null;
  #source: Source | null = null;
  /** Called when a link closes while the session is open (the client redials). */
  onLinkClosed: (index: number, error?: Error) => void = () => {};
  /** Streams with a port here. */
  #streams = new Map<number, DriverStream>();
  /** What to do with streams the peer opens; without one, they are reset. */
  #acceptor: StreamAcceptor | null = null;

  constructor(endpoint: BondEndpoint, log: Logger) {
    this.endpoint = endpoint;
    this.#log = log;
    this.done = new Promise((r) => (this.#resolve = r));
  }

  /** Hands an authenticated link to the session (replacing one with the same index). */
  attachLink(index: number, link: FramedLink, caps: LinkCaps): void {
    const old = this.#links.get(index);
    if (old && old !== link) old.transport.destroy();
    this.#links.set(index, link);
    this.endpoint.addLink(index, caps, realClock());
    link.transport.onDrain(() => {
      this.endpoint.setBlocked(index, false);
      this.kick();
    });
    link.attach({
      frame: (f, n) => {
        this.endpoint.receive(index, f, realClock(), n);
        this.kick();
      },
      closed: (error) => {
        if (this.#links.get(index) !== link) return;
        this.#links.delete(index);
        this.endpoint.removeLink(index, realClock());
        if (error) this.#log.warn(`link ${index} (${caps.name}) closed: ${error.message}`);
        else if (!this.#finished) this.#log.info(`link ${index} (${caps.name}) closed`);
        if (!this.#finished) this.onLinkClosed(index, error);
        this.kick();
      },
    });
    this.kick();
  }

  /** Reads `source` into the session, pausing while the endpoint has no room. */
  startInput(source: Source | null): void {
    if (!source) {
      this.endpoint.endInput();
      this.kick();
      return;
    }
    this.#source = source;
    (async () => {
      try {
        for (;;) {
          while (this.endpoint.inputRoom() <= 0 && !this.#finished) {
            await new Promise<void>((r) => (this.#wakeInput = r));
          }
          if (this.#finished) return;
          const chunk = await source.read();
          if (chunk === null) break;
          if (this.#finished || this.endpoint.outbound.inputEnded) return;
          this.endpoint.push(chunk);
          this.kick();
        }
        this.endpoint.endInput();
        this.kick();
      } catch (e) {
        this.endpoint.fail(1 as CloseCode, `input failed: ${(e as Error).message}`, realClock());
        this.kick();
      }
    })();
  }

  /** Stops reading input (first SIGINT): what was read is still delivered. */
  stopInput(): void {
    this.#source?.close();
    this.endpoint.endInput();
    this.kick();
  }

  /** Writes the peer's stream to `sink`; with null, it is read and dropped. */
  startOutput(sink: Sink | null): void {
    this.#sink = sink;
    this.#discardOutput = sink === null;
    this.kick();
  }

  /** Takes the streams the peer opens (the relay's outputs, the sender's listeners' replies). */
  acceptStreams(acceptor: StreamAcceptor): void {
    this.#acceptor = acceptor;
  }

  /** Opens a stream to the peer with `port` as this side's ends; returns its id. */
  openStream(kind: StreamKind, label: string, port: StreamPort): number {
    const id = this.endpoint.openStream(kind, label);
    this.#attachStream(id, port);
    return id;
  }

  /** Abandons stream `id` both ways (its connection broke); the peer is told. */
  resetStream(id: number, code: number): void {
    const st = this.#streams.get(id);
    if (!st) return;
    this.#streams.delete(id);
    st.port.source.close();
    st.wakeInput?.();
    this.endpoint.resetStream(id, code, realClock());
    this.kick();
  }

  /** Streams with a port now (besides stream 0). */
  get openStreams(): number {
    return this.#streams.size;
  }

  #attachStream(id: number, port: StreamPort): void {
    const st: DriverStream = { port, writing: false, outputClosed: false, wakeInput: null };
    this.#streams.set(id, st);
    (async () => {
      try {
        for (;;) {
          while (this.endpoint.streamRoom(id) <= 0 && this.#streams.get(id) === st) {
            await new Promise<void>((r) => (st.wakeInput = r));
          }
          if (this.#streams.get(id) !== st || this.#finished) return;
          const chunk = await port.source.read();
          if (this.#streams.get(id) !== st) return;
          if (chunk === null) break;
          this.endpoint.streamPush(id, chunk);
          this.kick();
        }
        this.endpoint.endStream(id);
        this.kick();
      } catch (e) {
        if (this.#streams.get(id) !== st) return;
        this.#log.debug(`stream ${id}: input failed: ${(e as Error).message}`);
        this.resetStream(id, StreamCode.BROKEN);
      }
    })();
    this.kick();
  }

  #pumpStreams(): void {
    const ep = this.endpoint;
    for (const [id, st] of this.#streams) {
      if (st.wakeInput && ep.streamRoom(id) > 0) {
        const w = st.wakeInput;
        st.wakeInput = null;
        w();
      }
      if (st.writing || st.outputClosed) continue;
      const batch: Uint8Array[] = [];
      let size = 0;
      for (
        let c = ep.takeStreamOutput(id);
        c;
        c = size < 256 * 1024 ? ep.takeStreamOutput(id) : null
      ) {
        batch.push(c);
        size += c.length;
      }
      if (batch.length > 0) {
        st.writing = true;
        (async () => {
          try {
            for (const c of batch) await st.port.sink.write(c);
            st.writing = false;
          } catch (e) {
            st.writing = false;
            this.#log.debug(`stream ${id}: output failed: ${(e as Error).message}`);
            this.resetStream(id, StreamCode.BROKEN);
          }
          this.kick();
        })();
        continue;
      }
      if (ep.streamOutputComplete(id)) {
        st.outputClosed = true;
        st.port.sink.close().then(
          () => ep.streamOutputDone(id, realClock()),
          () => this.resetStream(id, StreamCode.BROKEN),
        ).finally(() => this.kick());
      }
    }
  }

  #onStreamOpened(id: number, kind: StreamKind, label: string): void {
    const acceptor = this.#acceptor;
    if (!acceptor) {
      this.endpoint.resetStream(id, StreamCode.NO_HANDLER, realClock());
      this.#log.warn(`stream ${id} (${label}) refused: this side takes no streams`);
      return;
    }
    acceptor(id, kind, label).then((r) => {
      if (!this.endpoint.hasStream(id) || this.#finished) {
        if (!("refuse" in r)) r.reset(StreamCode.CLOSED, "the stream ended first", false);
        return;
      }
      if ("refuse" in r) {
        this.#log.info(`stream ${id} (${label}) refused: ${r.reason}`);
        this.endpoint.resetStream(id, r.refuse, realClock());
        this.kick();
        return;
      }
      this.#attachStream(id, r);
    }, (e) => {
      this.#log.warn(`stream ${id} (${label}): ${(e as Error).message}`);
      this.endpoint.resetStream(id, StreamCode.CLOSED, realClock());
      this.kick();
    });
  }

  /** Ends the session now with `code` (the peer is told), e.g. on a second signal. */
  abort(code: CloseCode, reason: string): void {
    this.endpoint.fail(code, reason, realClock());
    this.kick();
  }

  /** Schedules one turn of the loop (coalesced). */
  kick(): void {
    if (this.#scheduled || this.#finished) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#turn();
    });
  }

  #turn(): void {
    const ep = this.endpoint;
    const now = realClock();
    // 2. transmit
    for (let t = ep.pollTransmit(now); t; t = ep.pollTransmit(now)) {
      const link = this.#links.get(t.index);
      if (!link) continue;
      let ok = true;
      for (const part of encodeFrameParts(t.frame)) {
        ep.wrote(t.index, part.length);
        ok = link.transport.write(part);
      }
      if (!ok) ep.setBlocked(t.index, true);
    }
    // 3. output
    this.#pumpOutput();
    this.#pumpStreams();
    // 4. input
    if (ep.inputRoom() > 0 && this.#wakeInput) {
      const w = this.#wakeInput;
      this.#wakeInput = null;
      w();
    }
    // 5. events
    for (let ev = ep.pollEvent(); ev; ev = ep.pollEvent()) this.#onEvent(ev);
    if (this.#finished) return;
    // 6. timer
    const next = ep.nextTimeout();
    if (next !== null) this.#armTimer(Math.max(next, now));
  }

  #pumpOutput(): void {
    const ep = this.endpoint;
    if (this.#writing || this.#outputClosed) return;
    if (this.#discardOutput) {
      while (ep.takeOutput()) { /* dropped: this side has no --output */ }
    } else if (this.#sink) {
      const batch: Uint8Array[] = [];
      let size = 0;
      for (let c = ep.takeOutput(); c; c = size < 1 << 20 ? ep.takeOutput() : null) {
        batch.push(c);
        size += c.length;
      }
      if (batch.length > 0) {
        this.#writing = true;
        const sink = this.#sink;
        (async () => {
          try {
            for (const c of batch) await sink.write(c);
          } catch (e) {
            this.#outputClosed = true;
            ep.outputFailed(`cannot write the output: ${(e as Error).message}`, realClock());
          }
          this.#writing = false;
          this.kick();
        })();
        return;
      }
    } else {
      return; // output not started yet
    }
    if (ep.outputComplete && !this.#outputClosed) {
      this.#outputClosed = true;
      const close = this.#sink ? this.#sink.close() : Promise.resolve();
      close.then(
        () => ep.outputDone(realClock()),
        (e) => ep.outputFailed(`cannot close the output: ${(e as Error).message}`, realClock()),
      ).finally(() => this.kick());
    }
  }

  #onEvent(ev: EndpointEvent): void {
    switch (ev.type) {
      case "link-stalled":
        this.#log.warn(`link ${ev.index} stalled: its blocks go out again on the other links`);
        return;
      case "link-resumed":
        this.#log.info(`link ${ev.index} is acknowledging again`);
        return;
      case "link-silent":
      case "link-error": {
        const msg = ev.type === "link-error" ? ev.message : "nothing received for too long";
        this.#log.warn(`link ${ev.index}: ${msg}; closing it`);
        this.#links.get(ev.index)?.transport.destroy();
        return;
      }
      case "stream-opened":
        this.#onStreamOpened(ev.id, ev.kind, ev.label);
        return;
      case "stream-reset": {
        const st = this.#streams.get(ev.id);
        this.#streams.delete(ev.id);
        if (!ev.byPeer) this.#log.warn(`stream ${ev.id} reset: ${ev.reason}`);
        if (st) {
          st.port.source.close();
          st.wakeInput?.();
          st.port.reset(ev.code, ev.reason, ev.byPeer);
        }
        return;
      }
      case "stream-closed": {
        const st = this.#streams.get(ev.id);
        this.#streams.delete(ev.id);
        st?.port.closed?.();
        return;
      }
      case "complete":
        this.#finish({ kind: "complete" });
        return;
      case "failed":
        this.#finish({ kind: "failed", code: ev.code, reason: ev.reason, byPeer: ev.byPeer });
        return;
    }
  }

  #finish(outcome: SessionOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#source?.close();
    this.#wakeInput?.();
    for (const st of this.#streams.values()) {
      st.port.source.close();
      st.wakeInput?.();
      st.port.reset(StreamCode.CLOSED, "the session ended", false);
    }
    this.#streams.clear();
    // Flush what is queued (the CLOSE frames), then close every link.
    const now = realClock();
    for (let t = this.endpoint.pollTransmit(now); t; t = this.endpoint.pollTransmit(now)) {
      this.#links.get(t.index)?.transport.write(encodeFrame(t.frame));
    }
    const ends = [...this.#links.values()].map((l) => l.transport.end());
    Promise.all(ends).finally(() => this.#resolve(outcome));
  }

  #armTimer(at: number): void {
    if (this.#timer !== null && at >= this.#timerAt) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.endpoint.handleTimeout(realClock());
      this.#turn();
    }, Math.max(0, at - realClock()));
  }
}
