/**
 * The adaptive buffer period end to end on the virtual clock: the receiver shrinks it toward
 * the links' delay spread and the sender learns every change (BUFFER frames).
 */
import assert from "node:assert/strict";
import { randomBytes, SimPair } from "../_sim/pair.ts";

Deno.test("BondEndpoint shrinks its buffer period on steady links and tells the sender", () => {
  // About 40 s at 8 Mbit/s: the period shrinks 10 % a second after 5 s of calm.
  const data = randomBytes(() => 0.5, 40 * 1024 * 1024);
  const pair = new SimPair({
    links: [
      { index: 1, mbps: 4, delayMs: 20 },
      { index: 2, mbps: 4, delayMs: 40 },
    ],
    client: { input: data },
    endpoint: { bufferMs: 3000, bufferMinMs: 200 },
  });
  pair.runToCompletion(120_000);
  // Delay spread is ~20 ms of path plus a little queueing: far below the 3 s start.
  assert.ok(pair.server.ep.bufferMs < 1000, `buffer period stayed at ${pair.server.ep.bufferMs}`);
  assert.ok(pair.server.ep.bufferMs >= 200);
  assert.equal(pair.client.ep.peerBufferMs, pair.server.ep.bufferMs, "the sender did not learn it");
});

Deno.test("BondEndpoint with bufferFixed keeps its buffer period", () => {
  const data = randomBytes(() => 0.5, 4 * 1024 * 1024);
  const pair = new SimPair({
    links: [
      { index: 1, mbps: 4, delayMs: 20 },
      { index: 2, mbps: 4, delayMs: 40 },
    ],
    client: { input: data },
    endpoint: { bufferMs: 3000, bufferFixed: true },
  });
  pair.runToCompletion(60_000);
  assert.equal(pair.server.ep.bufferMs, 3000);
  assert.equal(pair.client.ep.peerBufferMs, 3000);
});
