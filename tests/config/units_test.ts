import assert from "node:assert/strict";
import {
  formatBytes,
  formatDuration,
  formatRate,
  OptionError,
  parseDuration,
  parseRate,
  parseSize,
} from "../../core/config/mod.ts";

/** Asserts that `fn` throws an OptionError whose message contains every `parts` string. */
function assertOptionError(fn: () => unknown, parts: readonly string[], row: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OptionError, `${row}: expected an OptionError, got ${e}`);
    assert.ok(!e.message.includes("\n"), `${row}: message is one line: ${e.message}`);
    for (const part of parts) {
      assert.ok(e.message.includes(part), `${row}: "${e.message}" should mention "${part}"`);
    }
    return true;
  }, row);
}

// #, input, bytes
const SIZES_ACCEPTED: [number, string, number][] = [
  [1, "65536", 65536],
  [2, "0", 0],
  [3, "64k", 65536],
  [4, "64K", 65536],
  [5, "64KiB", 65536],
  [6, "64kib", 65536],
  [7, "64kB", 64000],
  [8, "64KB", 64000],
  [9, "1.5MiB", 1572864],
  [10, "1.5 MiB", 1572864],
  [11, "2m", 2097152],
  [12, "2MB", 2000000],
  [13, "1g", 1073741824],
  [14, "1GiB", 1073741824],
  [15, "3GB", 3000000000],
  [16, "1t", 2 ** 40],
  [17, "2TB", 2e12],
  [18, "512b", 512],
  [19, " 64k ", 65536],
  [20, ".5k", 512],
  [21, "0.1k", 102], // rounded to a whole byte
];

// #, input, what the message must mention
const SIZES_REJECTED: [number, string, string[]][] = [
  [1, "", ["empty"]],
  [2, "   ", ["empty"]],
  [3, "-1", ["negative"]],
  [4, "-64k", ["negative"]],
  [5, "NaN", ["not a size", "64KiB"]],
  [6, "Infinity", ["not a size"]],
  [7, "64kbit", ["not a size"]],
  [8, "64x", ["not a size"]],
  [9, "1e3", ["not a size"]],
  [10, "k", ["not a size"]],
  [11, "1.", ["not a size"]],
  [12, "1..5k", ["not a size"]],
  [13, "0x10", ["not a size"]],
  [14, "+5", ["not a size"]],
  [15, "99999999999t", ["too large"]],
  [16, "64 k b", ["not a size"]],
];

Deno.test("parseSize() accepts bytes, binary and decimal units (table)", () => {
  for (const [n, input, bytes] of SIZES_ACCEPTED) {
    assert.equal(parseSize(input), bytes, `#${n} ${JSON.stringify(input)}`);
  }
});

Deno.test("parseSize() rejects malformed sizes and names the problem (table)", () => {
  for (const [n, input, parts] of SIZES_REJECTED) {
    assertOptionError(() => parseSize(input), parts, `#${n} ${JSON.stringify(input)}`);
  }
});

// #, input, bit/s
const RATES_ACCEPTED: [number, string, number][] = [
  [1, "2500000", 2500000],
  [2, "20mbit", 20e6],
  [3, "20Mbit", 20e6],
  [4, "512kbit", 512e3],
  [5, "1.5gbit", 1.5e9],
  [6, "2mbps", 2e6],
  [7, "2Mbps", 2e6],
  [8, "100kbps", 100e3],
  [9, "1gbps", 1e9],
  [10, "800bit", 800],
  [11, "800bps", 800],
  [12, "20.0 Mbit/s", 20e6],
  [13, "950 bit/s", 950],
  [14, "1tbit", 1e12],
  [15, " 10mbit ", 10e6],
  [16, "0.5kbit", 500],
];

const RATES_REJECTED: [number, string, string[]][] = [
  [1, "20mbt", ['"20mbt" is not a rate', "20mbit", "bit/s"]],
  [2, "", ["empty"]],
  [3, "0", ["at least 1 bit/s"]],
  [4, "0mbit", ["at least 1 bit/s"]],
  [5, "-20mbit", ["negative"]],
  [6, "20m", ["not a rate"]], // megabit or megabyte? refused
  [7, "20MB", ["not a rate"]],
  [8, "20MiB", ["not a rate"]],
  [9, "mbit", ["not a rate"]],
  [10, "NaN", ["not a rate"]],
  [11, "Infinity", ["not a rate"]],
  [12, "1e6", ["not a rate"]],
  [13, "0.4", ["at least 1 bit/s"]],
  [14, "99999999tbit", ["too large"]],
  [15, "20 mbit/h", ["not a rate"]],
];

Deno.test("parseRate() accepts tc units and bps as bits per second (table)", () => {
  for (const [n, input, bps] of RATES_ACCEPTED) {
    assert.equal(parseRate(input), bps, `#${n} ${JSON.stringify(input)}`);
  }
});

Deno.test("parseRate() rejects malformed rates and names the problem (table)", () => {
  for (const [n, input, parts] of RATES_REJECTED) {
    assertOptionError(() => parseRate(input), parts, `#${n} ${JSON.stringify(input)}`);
  }
});

Deno.test("parseRate() gives the documented message for a typo", () => {
  assert.throws(() => parseRate("20mbt"), {
    name: "OptionError",
    message: '"20mbt" is not a rate: use e.g. 20mbit, 512kbit, 1.5gbit or 2500000 (bit/s)',
  });
});

// #, input, milliseconds
const DURATIONS_ACCEPTED: [number, string, number][] = [
  [1, "3s", 3000],
  [2, "250ms", 250],
  [3, "1.5s", 1500],
  [4, "2m", 120000],
  [5, "2min", 120000],
  [6, "1h", 3600000],
  [7, "500us", 0.5],
  [8, "500µs", 0.5],
  [9, "500μs", 0.5],
  [10, "0", 0],
  [11, "0s", 0],
  [12, "3.0 s", 3000],
  [13, "3S", 3000],
  [14, "250MS", 250],
  [15, ".5s", 500],
  [16, "2.5 min", 150000],
];

const DURATIONS_REJECTED: [number, string, string[]][] = [
  [1, "", ["empty"]],
  [2, "3", ["no unit", "3s", "3ms"]],
  [3, "1.5", ["no unit", "1.5s"]],
  [4, "-3s", ["negative"]],
  [5, "NaN", ["not a duration"]],
  [6, "Infinitys", ["not a duration"]],
  [7, "3 seconds", ["not a duration", "250ms"]],
  [8, "3d", ["not a duration"]],
  [9, "1m30s", ["not a duration"]],
  [10, "s", ["not a duration"]],
  [11, "3ns", ["not a duration"]],
  [12, "1e3ms", ["not a duration"]],
  [13, "99999999999999999h", ["too long"]],
  [14, "--3s", ["negative"]],
  [15, "3 s s", ["not a duration"]],
];

Deno.test("parseDuration() accepts us, ms, s, m, h (table)", () => {
  for (const [n, input, ms] of DURATIONS_ACCEPTED) {
    assert.equal(parseDuration(input), ms, `#${n} ${JSON.stringify(input)}`);
  }
});

Deno.test("parseDuration() rejects bare numbers, negatives and unknown units (table)", () => {
  for (const [n, input, parts] of DURATIONS_REJECTED) {
    assertOptionError(() => parseDuration(input), parts, `#${n} ${JSON.stringify(input)}`);
  }
});

// #, formatter, input, output
const FORMATTED: [number, (n: number) => string, number, string][] = [
  [1, formatBytes, 0, "0 B"],
  [2, formatBytes, 512, "512 B"],
  [3, formatBytes, 1023, "1023 B"],
  [4, formatBytes, 1024, "1.0 KiB"],
  [5, formatBytes, 65536, "64.0 KiB"],
  [6, formatBytes, 1572864, "1.5 MiB"],
  [7, formatBytes, 1024 * 1024 - 1, "1.0 MiB"], // not "1024.0 KiB"
  [8, formatBytes, 3 * 2 ** 30, "3.0 GiB"],
  [9, formatBytes, -2048, "-2.0 KiB"],
  [10, formatRate, 950, "950 bit/s"],
  [11, formatRate, 20e6, "20.0 Mbit/s"],
  [12, formatRate, 512e3, "512.0 kbit/s"],
  [13, formatRate, 1.5e9, "1.5 Gbit/s"],
  [14, formatRate, 999_999, "1.0 Mbit/s"],
  [15, formatDuration, 0, "0 ms"],
  [16, formatDuration, 0.5, "500 µs"],
  [17, formatDuration, 250, "250 ms"],
  [18, formatDuration, 3000, "3.0 s"],
  [19, formatDuration, 999.7, "1.0 s"],
  [20, formatDuration, 150000, "2.5 min"],
  [21, formatDuration, 5400000, "1.5 h"],
];

Deno.test("formatBytes(), formatRate() and formatDuration() print human units (table)", () => {
  for (const [n, format, input, output] of FORMATTED) {
    assert.equal(format(input), output, `#${n} ${format.name}(${input})`);
  }
});

Deno.test("format functions refuse non-finite numbers", () => {
  for (const format of [formatBytes, formatRate, formatDuration]) {
    assert.throws(() => format(NaN), RangeError);
    assert.throws(() => format(Infinity), RangeError);
  }
});

Deno.test("formatted values parse back", () => {
  assert.equal(parseSize(formatBytes(1572864)), 1572864);
  assert.equal(parseRate(formatRate(20e6)), 20e6);
  assert.equal(parseDuration(formatDuration(3000)), 3000);
  assert.equal(parseDuration(formatDuration(0.5)), 0.5);
  assert.equal(parseDuration(formatDuration(150000)), 150000);
});

Deno.test("OptionError is an Error with its own name", () => {
  const e = new OptionError("bad");
  assert.ok(e instanceof Error);
  assert.equal(e.name, "OptionError");
  assert.equal(e.message, "bad");
});
