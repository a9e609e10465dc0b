/*
 * bondctl's session protocol as a Promela model, for spin (docs/model/README.md).
 *
 * What it keeps of the protocol: BLOCKS sequence-numbered blocks, the last one the FIN; each
 * link a pair of FIFO channels (TLS over TCP: in order, nothing lost while the link lives);
 * the sender sending the lowest waiting block first on any link that is up; the receiver
 * storing out-of-order blocks, releasing them in order, and acknowledging on the link each
 * block came by with a cumulative point and a selective bitmask; links dying (everything in
 * flight on them lost, both ways) and rejoining; the sender re-sending what a dead link held,
 * and, a bounded number of times, a block it gave up waiting for (a stall or a NACK) while
 * the first copy may still arrive; the receiver's CLOSE once it has the whole stream.
 * What it leaves out: block sizes, rates, the scheduler's preferences (any up link may be
 * chosen: every policy is one of these choices), the flow-control window, timers' values.
 *
 * Which file each process stands for:
 *   Sender        core/session/outbound.ts (nextBlock, sent, linkLost, onAck, peerHasAll) with
 *                 the sending half of core/session/endpoint.ts (pollTransmit, stall detection)
 *   SenderLink(l) core/tunnel/framed_link_io.ts on the sender: link l's ACKs and CLOSE into
 *                 endpoint.receive()
 *   ReceiverLink(l) core/tunnel/framed_link_io.ts on the receiver, with
 *                 core/session/inbound.ts (onData, makeAck) and core/reorder/reorder_buffer.ts
 *                 (insert, take, ackRanges)
 *   Links         core/session/client_io.ts (a link dies, is dialled again and rejoins) with
 *                 BondEndpoint.removeLink/addLink on both sides
 *
 * Properties (assertions, and spin's check of invalid end states):
 *   1. every block is delivered to the output exactly once and in order;
 *   2. the sender confirms the end of the stream only once all of it has arrived;
 *   3. no deadlock: whatever the deaths and re-sends, the sender always gets to the end
 *      (every run is finite: deaths and give-ups are bounded).
 * Sizes: -DLINKS=n (1..3), -DBLOCKS=n (1..8), -DDEATHS=n, -DGIVEUPS=n, -DCAP=n.
 * Seeded bugs, each of which must make spin fail (tests/model/spin_test.ts):
 *   -DBUG_NO_REQUEUE  a dead link's blocks are not sent again     -> deadlock
 *   -DBUG_FIN_EARLY   the FIN's ACK alone confirms the end         -> assertion 2
 *   -DBUG_DUP_DELIVER a duplicate is written to the output again   -> assertion 1
 */

#ifndef LINKS
#define LINKS 3
#endif
#ifndef BLOCKS
#define BLOCKS 3
#endif
#ifndef DEATHS
#define DEATHS 2
#endif
#ifndef GIVEUPS
#define GIVEUPS 2
#endif
#ifndef CAP
#define CAP 2
#endif

#define WAITING 0     /* where[s]: waiting to be sent (again) */
#define ACKED 255     /* where[s]: acknowledged; otherwise l + 1: last sent on link l */

mtype = { ACK, CLOSE };

chan data[LINKS] = [CAP] of { byte };              /* DATA(seq) */
chan back[LINKS] = [CAP] of { mtype, byte, byte }; /* ACK(cumulative, selective) or CLOSE */

bool up[LINKS];
byte deaths = 0;
byte giveups = 0;

/* The sender (outbound.ts). */
byte where[BLOCKS];
bool confirmed = false;    /* the end of the stream is confirmed */
byte waiting = BLOCKS;     /* blocks WAITING: the sender has something to send */
byte inflight = 0;         /* blocks sent and neither acknowledged nor given up */
byte linksUp = LINKS;

/* The receiver (reorder_buffer.ts, inbound.ts). */
bool got[BLOCKS];
byte cum = 0;              /* the cumulative point: every seq below it released */
byte delivered = 0;        /* blocks written to the output, in order */
bool closed[LINKS];        /* CLOSE sent on this link */

/* Settles one block; confirms the end once every block is settled. */
inline settle(s) {
  if
  :: where[s] == WAITING -> where[s] = ACKED; settled++; waiting--
  :: where[s] != WAITING && where[s] != ACKED -> where[s] = ACKED; settled++; inflight--
  :: else -> skip
  fi
}

byte settled = 0;

inline check_end() {
  if
  :: settled == BLOCKS && !confirmed ->
     confirmed = true;
     assert(delivered == BLOCKS);   /* property 2 */
  :: else -> skip
  fi
}

proctype Sender() {
  byte s, l;
  /* Each branch is enabled only when it can do something: a sender stuck with its stream
     unconfirmed blocks, and spin reports the state as a deadlock (an invalid end state). */
  do
  :: confirmed -> break
  :: !confirmed && waiting > 0 && linksUp > 0 ->
     atomic {
       /* pollTransmit: the lowest block waiting (re-sends first: they are the lowest) */
       s = 0;
       do
       :: s < BLOCKS && where[s] != WAITING -> s++
       :: else -> break
       od;
       if
       :: s < BLOCKS ->
          /* the policy: any link that is up and can take it now */
          select(l : 0 .. LINKS - 1);
          if
          :: up[l] && nfull(data[l]) -> data[l]!s; where[s] = l + 1; waiting--; inflight++
          :: !up[l] || full(data[l]) -> skip
          fi
       :: else -> skip
       fi;
       s = 0; l = 0   /* locals cleared: they are no part of the state */
     }
  :: !confirmed && inflight > 0 && giveups < GIVEUPS ->
     /* a stall or a NACK: a block in flight is queued again; its copy may still arrive */
     atomic {
       s = 0;
       do
       :: s < BLOCKS && where[s] != WAITING && where[s] != ACKED ->
          where[s] = WAITING; giveups++; inflight--; waiting++; break
       :: s < BLOCKS -> s++
       :: s >= BLOCKS -> break
       od;
       s = 0
     }
  od
}

proctype SenderLink(byte l) {
  mtype kind;
  byte c, sel, s;
end:
  do
  :: atomic {
       back[l]?kind, c, sel;
       if
       :: kind == CLOSE ->
          /* peerHasAll: the receiver closes only with the whole stream */
          s = 0;
          do
          :: s < BLOCKS -> settle(s); s++
          :: else -> break
          od
       :: else ->
          s = 0;
          do
          :: s < c -> settle(s); s++
          :: else -> break
          od;
          s = 0;
          do
          :: s < BLOCKS ->
             if
             :: (sel >> s) & 1 -> settle(s)
             :: else -> skip
             fi;
             s++
          :: else -> break
          od
#ifdef BUG_FIN_EARLY
          ;
          if
          :: where[BLOCKS - 1] == ACKED -> settled = BLOCKS
          :: else -> skip
          fi
#endif
       fi;
       check_end();
       kind = ACK; c = 0; sel = 0; s = 0
     }
  od
}

proctype ReceiverLink(byte l) {
  byte s, sel, i;
end:
  do
  :: atomic {
       data[l]?s;
       if
       :: s >= cum && !got[s] ->
          got[s] = true;
          /* release in order */
          do
          :: cum < BLOCKS && got[cum] ->
             assert(delivered == cum);   /* property 1: in order, once */
             delivered++;
             cum++
          :: else -> break
          od
       :: else ->
#ifdef BUG_DUP_DELIVER
          delivered++;
          assert(delivered <= BLOCKS);
#endif
          skip   /* a duplicate: dropped, still acknowledged */
       fi;
       /* the ACK, on the link the block came by: cumulative and selective ranges */
       sel = 0;
       i = cum;
       do
       :: i < BLOCKS ->
          if
          :: got[i] -> sel = sel | (1 << i)
          :: else -> skip
          fi;
          i++
       :: else -> break
       od;
       if
       :: up[l] ->
          /* queued on the link (waits while its queue is full, as TCP would) */
          if
          :: delivered == BLOCKS && !closed[l] -> back[l]!CLOSE, 0, 0; closed[l] = true
          :: else -> back[l]!ACK, cum, sel
          fi
       :: !up[l] -> skip /* the link died: the ACK is lost with it */
       fi;
       s = 0; sel = 0; i = 0
     }
  od
}

proctype Links() {
  byte l, s;
end:
  do
  :: deaths < DEATHS && linksUp > 0 ->
     /* a link dies: what it carried is lost both ways; the sender sends it again */
     atomic {
       select(l : 0 .. LINKS - 1);
       if
       :: up[l] ->
          up[l] = false;
          linksUp--;
          deaths++;
          do
          :: nempty(data[l]) -> data[l]?_
          :: empty(data[l]) -> break
          od;
          do
          :: nempty(back[l]) -> back[l]?_, _, _
          :: empty(back[l]) -> break
          od;
#ifndef BUG_NO_REQUEUE
          s = 0;
          do
          :: s < BLOCKS ->
             if
             :: where[s] == l + 1 -> where[s] = WAITING; inflight--; waiting++
             :: else -> skip
             fi;
             s++
          :: else -> break
          od
#endif
       :: else -> skip
       fi;
       l = 0; s = 0
     }
  :: linksUp < LINKS ->
     atomic {
       /* a dead link is dialled again and rejoins */
       select(l : 0 .. LINKS - 1);
       if
       :: !up[l] -> up[l] = true; linksUp++; closed[l] = false
       :: else -> skip
       fi;
       l = 0
     }
  od
}

init {
  byte l;
  atomic {
    l = 0;
    do
    :: l < LINKS -> up[l] = true; l++
    :: else -> break
    od;
    run Sender();
    l = 0;
    do
    :: l < LINKS -> run SenderLink(l); run ReceiverLink(l); l++
    :: else -> break
    od;
    run Links()
  }
}
