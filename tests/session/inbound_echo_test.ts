/**
 * The ACK's echo: of the blocks a link brought since its last ACK, the one that waited least
 * on the way, so that a burst's own queue does not enter the sender's minimum RTT.
 */
import assert from "node:assert/strict";
import { InboundStream } from "../../core/session/inbound.ts";

function inbound(): InboundStream {
  return new InboundStream(0, {
    maxBufferBytes: 1 << 20,
    bufferMs: 3000,
    ackEveryBlocks: 2,
    ackDelayMs: 5,
  });
}

const block = new Uint8Array(1000);

Deno.test("InboundStream echoes the block that waited least since the last ACK", () => {
  const inb = inbound();
  // A burst of three sent at 10 ms (the sender's µs clock): they queue behind each other and
  // arrive at 30, 38 and 46 ms. The first waited least.
  inb.onData(1, 0, block, false, 10_000, 30);
  inb.onData(1, 1, block, false, 10_000, 38);
  inb.onData(1, 2, block, false, 10_000, 46);
  const ack = inb.makeAck(1, 50);
  assert.equal(ack.echoTs, 10_000);
  // Measured from the echoed block's arrival: 50 - 30 ms.
  assert.equal(ack.ackDelayUs, 20_000);
});

Deno.test("InboundStream's echo starts again after each ACK", () => {
  const inb = inbound();
  inb.onData(1, 0, block, false, 10_000, 20); // waited 10 ms
  inb.makeAck(1, 21);
  // The next ACK's blocks waited longer (a queue grew): the echo follows them, it does not
  // keep the old, better one.
  inb.onData(1, 1, block, false, 30_000, 60); // waited 30 ms
  inb.onData(1, 2, block, false, 32_000, 70); // waited 38 ms
  const ack = inb.makeAck(1, 72);
  assert.equal(ack.echoTs, 30_000);
  assert.equal(ack.ackDelayUs, 12_000);
});

Deno.test("InboundStream echoes each link's own blocks", () => {
  const inb = inbound();
  inb.onData(1, 0, block, false, 10_000, 30);
  inb.onData(2, 1, block, false, 11_000, 15); // link 2 waited 4 ms
  assert.equal(inb.makeAck(2, 16).echoTs, 11_000);
  assert.equal(inb.makeAck(1, 31).echoTs, 10_000);
});
