// Tests for `--config FILE` and `BONDCTL_*` (cli/config.ts, config_file.ts, config_links.ts),
// on the real send and receive commands with their actions replaced by one that records the
// options: 1. precedence, flags > environment > file > defaults, option by option, with the
// source commander records; 2. repeated options (--link) are replaced, not added to; 3. link
// tables with per-link settings; 4. error messages as a table: each names the file (or the
// variable), the key and the fault; 5. through main(): one line, exit 2; 6. the examples in
// deploy/examples/ load and validate.
import assert from "node:assert/strict";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { sendCommand } from "../../cli/commands/send.ts";
import { receiveCommand } from "../../cli/commands/receive.ts";
import { ConfigError, envName, validateConfig, withConfig } from "../../cli/config.ts";
import { parseConfigText } from "../../cli/config_file.ts";
import type { ConfigLinkSpec } from "../../cli/config_links.ts";
import { main } from "../../cli/main.ts";

const PIN = "sha256:" + "ab".repeat(32);

/** Runs `send`/`receive` ARGS with `env`; returns the options and their sources. */
async function parse(
  which: "send" | "receive",
  args: string[],
  env: Record<string, string> = {},
): Promise<{ opts: Record<string, unknown>; source: (k: string) => string | undefined }> {
  const cmd = withConfig(
    (which === "send" ? sendCommand() : receiveCommand()) as unknown as CommandUnknownOpts,
    (name) => env[name] === "" ? undefined : env[name],
  );
  let seen: Record<string, unknown> | null = null;
  cmd.exitOverride();
  cmd.action(function () {
    seen = this.opts();
  });
  await cmd.parseAsync(args, { from: "user" });
  assert.ok(seen, "the action did not run");
  return { opts: seen, source: (k) => cmd.getOptionValueSource(k) };
}

async function withFile<T>(name: string, text: string, f: (path: string) => Promise<T>) {
  const dir = await Deno.makeTempDir({ prefix: "bondctl-config-" });
  try {
    const path = `${dir}/${name}`;
    await Deno.writeTextFile(path, text);
    return await f(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("precedence: flags > BONDCTL_* > file > defaults, option by option", async () => {
  const toml = `
listen = "127.0.0.1:7001"
buffer = "2s"
max-sessions = 5
once = true
output = "from-file.ts"
`;
  await withFile("receive.toml", toml, async (path) => {
    // [args, env, option, expected value, expected source]
    const table: [string[], Record<string, string>, string, unknown, string][] = [
      [[], {}, "buffer", 3000, "default"],
      [["--config", path], {}, "buffer", 2000, "config"],
      [["--config", path], { BONDCTL_BUFFER: "1s" }, "buffer", 1000, "env"],
      [["--config", path, "--buffer", "500ms"], { BONDCTL_BUFFER: "1s" }, "buffer", 500, "cli"],
      [["--config", path], {}, "maxSessions", 5, "config"],
      [["--config", path], { BONDCTL_MAX_SESSIONS: "7" }, "maxSessions", 7, "env"],
      [["--config", path], {}, "listen", { host: "127.0.0.1", port: 7001, family: 4 }, "config"],
      [["--config", path], {}, "once", true, "config"],
      // A switch can be turned off from the environment, over the file.
      [["--config", path], { BONDCTL_ONCE: "0" }, "once", false, "env"],
      [["--config", path], { BONDCTL_ONCE: "" }, "once", true, "config"], // empty = unset
      [["--config", path, "--output", "-"], {}, "output", "-", "cli"],
      // BONDCTL_CONFIG names the file when --config does not.
      [[], { BONDCTL_CONFIG: path }, "output", "from-file.ts", "config"],
      [["--log-format", "json"], {}, "logFormat", "json", "cli"],
      [[], { BONDCTL_LOG_FORMAT: "json" }, "logFormat", "json", "env"],
    ];
    for (const [args, env, key, want, source] of table) {
      const r = await parse("receive", args, env);
      const what = `${args.join(" ")} ${JSON.stringify(env)} ${key}`;
      assert.deepEqual(r.opts[key], want, what);
      assert.equal(r.source(key), source, what);
    }
  });
});

Deno.test("JSON and TOML files mean the same", async () => {
  const toml = `server = "relay:7443"\npin = "${PIN}"\nlinks = ["127.0.0.1", "127.0.0.2,cost=2"]\n`;
  const json = JSON.stringify({
    server: "relay:7443",
    pin: PIN,
    links: ["127.0.0.1", "127.0.0.2,cost=2"],
  });
  const a = await withFile("s.toml", toml, (p) => parse("send", ["--config", p]));
  const b = await withFile("s.json", json, (p) => parse("send", ["--config", p]));
  // And without an extension, by the first character.
  const c = await withFile("s.conf", json, (p) => parse("send", ["--config", p]));
  for (const k of ["server", "pin", "link"]) {
    assert.deepEqual(a.opts[k], b.opts[k], k);
    assert.deepEqual(c.opts[k], b.opts[k], k);
  }
  assert.equal((a.opts.link as ConfigLinkSpec[])[1].cost, 2);
});

Deno.test("--server may come from the file or the environment; missing, it is named", async () => {
  await withFile("s.toml", `server = "relay:7443"`, async (p) => {
    const r = await parse("send", ["--config", p]);
    assert.deepEqual(r.opts.server, { host: "relay", port: 7443, family: "name" });
  });
  const e = await parse("send", [], { BONDCTL_SERVER: "10.0.0.1:7443" });
  assert.equal((e.opts.server as { host: string }).host, "10.0.0.1");
  await assert.rejects(
    () => parse("send", []),
    (err: Error) =>
      err instanceof ConfigError && /'--server <host:port>'/.test(err.message) &&
      /BONDCTL_SERVER/.test(err.message),
  );
});

Deno.test("links: flags replace the file's, tables carry per-link settings", async () => {
  const toml = `
server = "relay:7443"
[[links]]
interface = "ppp0"
cost = 1.5
priority = "secondary"
cap = "2GB"
rate = "20mbit"
provider = "Operator A"
via = "127.0.0.1:40001"
[[links]]
address = "192.168.8.100"
priority = "backup"
[[links]]
auto = true
`;
  await withFile("send.toml", toml, async (p) => {
    const r = await parse("send", ["--config", p]);
    const links = r.opts.link as ConfigLinkSpec[];
    assert.equal(links.length, 3);
    assert.deepEqual(links[0].target, { kind: "interface", name: "ppp0" });
    assert.equal(links[0].cost, 1.5);
    assert.equal(links[0].priority, "secondary");
    assert.equal(links[0].capBytes, 2e9);
    assert.equal(links[0].rateBps, 20e6);
    assert.equal(links[0].provider, "Operator A");
    assert.deepEqual(links[0].via, { host: "127.0.0.1", port: 40001, family: 4 });
    assert.deepEqual(links[1].target, { kind: "address", address: "192.168.8.100", family: 4 });
    assert.equal(links[1].priority, "backup");
    assert.deepEqual(links[2].target, { kind: "auto" });

    const flags = await parse("send", ["--config", p, "--link", "eth1"]);
    assert.deepEqual((flags.opts.link as ConfigLinkSpec[]).map((l) => l.raw), ["eth1"]);
    const env = await parse("send", ["--config", p], { BONDCTL_LINK: "eth1  eth2,cost=3" });
    assert.deepEqual((env.opts.link as ConfigLinkSpec[]).map((l) => l.cost), [1, 3]);
    assert.equal(env.source("link"), "env");
  });
});

Deno.test("bad files and variables: one message naming the file, the key and the fault", async () => {
  // [file name, content, expected message]
  const table: [string, string, RegExp][] = [
    [
      "send.toml",
      `server = "r:1"\nlinks = ["ppp0", "ppp1", { interface = "ppp2", cost = "x" }]`,
      /^send\.toml: links\[2\]\.cost: expected a number$/,
    ],
    [
      "send.toml",
      `sever = "r:1"`,
      /^send\.toml: "sever" is not an option of send \(did you mean "server"\?\)$/,
    ],
    ["send.toml", `server = "r:1"\nserver = "r:2"`, /^send\.toml: line 2, column 1: .*redefine/],
    ["send.toml", `server = "r:1`, /^send\.toml: line 1, column \d+: unfinished string$/],
    ["send.json", `{"server": }`, /^send\.json: not valid JSON: /],
    ["send.json", `["server"]`, /^send\.json: expected a table of options/],
    ["send.toml", `link-timeout = 3000`, /^send\.toml: link-timeout: "3000" has no unit/],
    [
      "send.toml",
      `link-timeout = true`,
      /^send\.toml: link-timeout: expected a string or a number$/,
    ],
    ["send.toml", `policy = "fastest"`, /^send\.toml: policy: Allowed choices are /],
    ["send.toml", `quiet = "yes"`, /^send\.toml: quiet: expected true or false$/],
    ["send.toml", `servername = 5`, /^send\.toml: servername: expected a string$/],
    [
      "send.toml",
      `config = "other.toml"`,
      /^send\.toml: "config": a config file cannot name another/,
    ],
    ["send.toml", `links = "ppp0"`, /^send\.toml: links: expected a list/],
    ["send.toml", `links = ["ppp0,cost=-1"]`, /^send\.toml: links\[0\]: cost -1 is negative/],
    [
      "send.toml",
      `[[links]]\ninterface = "ppp0"\naddress = "10.0.0.1"`,
      /^send\.toml: links\[0\]: give one of interface, address, not 2$/,
    ],
    ["send.toml", `[[links]]\ncost = 2`, /^send\.toml: links\[0\]: give the link: interface/],
    [
      "send.toml",
      `[[links]]\ninterface = "10.0.0.1"`,
      /^send\.toml: links\[0\]\.interface: "10\.0\.0\.1" is not an interface$/,
    ],
    [
      "send.toml",
      `[[links]]\ninterface = "ppp0"\ncap = 0`,
      /^send\.toml: links\[0\]\.cap: cap=0 would forbid/,
    ],
    [
      "send.toml",
      `[[links]]\ninterface = "ppp0"\ncolour = "red"`,
      /^send\.toml: links\[0\]: unknown key "colour"/,
    ],
    [
      "send.toml",
      `[[links]]\ninterface = "ppp0"\nprovider = ""`,
      /^send\.toml: links\[0\]\.provider: is empty$/,
    ],
    [
      "send.toml",
      `[[links]]\ninterface = "ppp0"\npriority = "high"`,
      /^send\.toml: links\[0\]\.priority: priority "high" is not one of/,
    ],
    [
      "send.toml",
      `server = "r:1"\nquiet = 1\npolicy = 2`,
      /^send\.toml: quiet: expected true or false \(and 1 more\)$/,
    ],
    [
      "receive.toml",
      `max-sessions = -1`,
      /^receive\.toml: max-sessions: "-1" is not a whole number$/,
    ],
    ["receive.toml", `max-sessions = 0`, /^receive\.toml: max-sessions: must be at least 1$/],
  ];
  for (const [name, text, want] of table) {
    const cmd =
      (name.startsWith("send") ? sendCommand() : receiveCommand()) as unknown as CommandUnknownOpts;
    assert.throws(
      () => validateConfig(withConfig(cmd), name, parseConfigText(name, text)),
      (e: Error) => {
        assert.ok(e instanceof ConfigError, `${name}: ${text}: ${e}`);
        assert.match(e.message, want, text);
        assert.ok(!e.message.includes("\n"), `more than one line: ${e.message}`);
        return true;
      },
    );
  }
  // Variables are named the same way.
  const envTable: [Record<string, string>, RegExp][] = [
    [{ BONDCTL_MAX_SESSIONS: "abc" }, /^BONDCTL_MAX_SESSIONS: "abc" is not a whole number$/],
    [{ BONDCTL_ONCE: "maybe" }, /^BONDCTL_ONCE: "maybe" is not a yes or no/],
    [{ BONDCTL_POLICY: "fastest" }, /^BONDCTL_POLICY: Allowed choices are/],
    [
      { BONDCTL_CONFIG: "/nonexistent/receive.toml" },
      /^cannot read --config \/nonexistent\/receive\.toml: /,
    ],
  ];
  for (const [env, want] of envTable) {
    await assert.rejects(() => parse("receive", [], env), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, want);
      return true;
    });
  }
});

Deno.test("main(): a bad config file is one line, exit 2", async () => {
  await withFile(
    "send.toml",
    `server = "r:1"\n[[links]]\ninterface = "ppp0"\n[[links]]\ninterface = "ppp1"\n[[links]]\ninterface = "ppp2"\ncost = "two"\n`,
    async (p) => {
      const lines: string[] = [];
      const orig = console.error;
      console.error = (...a: unknown[]) => void lines.push(a.join(" "));
      let code: number;
      try {
        code = await main(["send", "--config", p]);
      } finally {
        console.error = orig;
      }
      assert.equal(code, 2);
      assert.deepEqual(lines, [`bondctl: error: ${p}: links[2].cost: expected a number`]);
    },
  );
});

Deno.test("envName() follows the flag; --help documents the rule and --config", () => {
  const send = withConfig(sendCommand() as unknown as CommandUnknownOpts);
  const byName = new Map(send.options.map((o) => [o.name(), o]));
  assert.equal(envName(byName.get("token-file")!), "BONDCTL_TOKEN_FILE");
  assert.equal(envName(byName.get("server")!), "BONDCTL_SERVER");
  assert.equal(envName(byName.get("link-timeout")!), "BONDCTL_LINK_TIMEOUT");
  let help = "";
  send.configureOutput({ writeOut: (s) => (help += s) });
  send.outputHelp();
  assert.match(help, /--config <file>/);
  assert.match(help, /BONDCTL_TOKEN_FILE/);
  assert.match(help, /command\s+line wins over the environment, which wins over the file/);
});

Deno.test("deploy/examples/*.toml load and validate against the real commands", async () => {
  for (const which of ["receive", "send"] as const) {
    const path = new URL(`../../deploy/examples/${which}.toml`, import.meta.url).pathname;
    const text = await Deno.readTextFile(path);
    const cmd =
      (which === "send" ? sendCommand() : receiveCommand()) as unknown as CommandUnknownOpts;
    const values = validateConfig(withConfig(cmd), `${which}.toml`, parseConfigText(path, text));
    // Each example sets what its command cannot run without, so it says something real.
    if (which === "receive") {
      assert.deepEqual(values.get("listen"), { host: "0.0.0.0", port: 7443, family: 4 });
      assert.deepEqual(values.get("metrics"), { host: "127.0.0.1", port: 9090, family: 4 });
      assert.ok(values.get("cert") && values.get("key"));
    } else {
      assert.ok(values.get("server"));
      const links = values.get("link") as ConfigLinkSpec[];
      assert.ok(links.length >= 2);
      assert.ok(links.some((l) => l.provider), "no link has a provider label");
      assert.ok(links.some((l) => l.capBytes), "no link has a data cap");
    }
  }
});
