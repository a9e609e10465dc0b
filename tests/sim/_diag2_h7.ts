import { SimPair } from "../_sim/pair.ts";
import { LiveApp } from "../_sim/live_app.ts";
import { createPolicy } from "../../core/scheduler/registry.ts";
const LINKS4 = [
  { index: 1, mbps: 10, delayMs: 20 },
  { index: 2, mbps: 10, delayMs: 30 },
  { index: 3, mbps: 8, delayMs: 40 },
  { index: 4, mbps: 6, delayMs: 50 },
];
const app = new LiveApp([{ label: "udp", live: { deadlineMs: 120 }, rate: 400, size: () => 1316, count: 2400 }]);
const pair = new SimPair({ links: LINKS4, endpoint: { policy: createPolicy("earliest") },
  client: { streams: (s, n) => app.client(s, n) }, server: { streams: (s, n) => app.server(s, n) },
  onStep: (p) => { if (p.now > 1990 && p.now < 2400 && Math.floor(p.now) % 10 === 0) {
    const st = p.client.ep.linkStats().map(l => `${l.index}:${l.state[0]}:${l.inFlightBytes}`).join(" ");
    console.log(p.now.toFixed(1), st);
  } } });
app.attach(pair);
pair.schedule(2000, (p) => p.stallLink(1));
pair.runToCompletion(60_000);
const f = [...app.received.values()][0];
for (let i = 1; i < f.at.length; i++) if (f.at[i] - f.at[i-1] > 50) console.log("pause", f.at[i-1].toFixed(1), f.at[i].toFixed(1), f.got[i-1], f.got[i]);
console.log(pair.client.events.map(e => `${e.event.type}${"index" in e.event ? e.event.index : ""}@${e.at.toFixed(0)}`).join(" "));
