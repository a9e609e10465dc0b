/**
 * The README cannot drift from what works. Its shell blocks say where they run in their fence's
 * info string (`sh runnable`, `sh needs-server`, `sh needs-modem`, explained in its Quick start);
 * this test runs every `runnable` block as written and parses every `bondctl` command in the shell
 * blocks of the README and of docs/ with the CLI's own parser.
 *
 * How a `runnable` block is run, and every way it departs from "as written":
 * - Each command (a line, with its `\` continuations) runs in its own `bash -c`, in a fresh temp
 *   dir (the repository for blocks that run `deno task`), after the README's own alias line
 *   (`alias bondctl="deno run -A $PWD/cli/main.ts"`, run in the repository) and with this deno
 *   first on the PATH. Nothing else carries from one command to the next.
 * - `npx -y deno@V` is this deno, which must be version V: the test does not fetch Deno.
 * - `task test` is not run: it is the suite this test belongs to.
 * - `:7443` becomes a free port the test picked, so that two runs on one machine cannot collide.
 * - `sha256:...` becomes the pin that the block's last background `bondctl receive` printed.
 * - A command ending in `&` runs in the background; `wait` waits for every background command of
 *   the block and wants each to exit 0. Every other command must exit 0.
 * - `#   -> TEXT` lines after a command must each match a line it printed (stdout or stderr), with
 *   `...` standing for anything; a background command's are awaited before the next command.
 * On top: the Quick start's output file equals its input by SHA-256, and its `bondctl` commands
 * print no warning (but a stall: that is the machine's load); `task demo` says it bonded as many
 * loopback links as the README says. The rest of the README and the guides' shell blocks: every
 * `bondctl` command parses (options, values, link specs), every `deno task` exists.
 * @module
 */
import assert from "node:assert/strict";
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "../../cli/main.ts";
import { haveTool, sha256File } from "../_helpers/bondctl.ts";

/** What running the blocks takes besides Deno (the blocks themselves use coreutils). */
const RUNNER_TOOLS = ["bash", "setsid", "head", "base64", "cmp"];
const missingTools: string[] = [];
for (const t of RUNNER_TOOLS) if (!(await haveTool(t))) missingTools.push(t);
if (missingTools.length) {
  console.log(`skip: the README's blocks are not run: ${missingTools.join(", ")} missing`);
}
const ignoreRuns = missingTools.length > 0;

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const README = `${REPO}/README.md`;
/** The documents whose `bondctl` commands are parsed besides the README: all of docs/. */
const GUIDES = async () => {
  const names: string[] = [];
  for await (const e of Deno.readDir(`${REPO}/docs`)) {
    if (e.isFile && e.name.endsWith(".md")) names.push(`${REPO}/docs/${e.name}`);
  }
  return names.sort();
};
const MARKS = ["runnable", "needs-server", "needs-modem"];
/** Bounds for one command, so that a hang fails with its output instead of stalling the suite. */
const STEP_MS = 180_000;
const EXPECT_MS = 60_000;

/** A fenced code block of a Markdown file. */
interface Block {
  /** The file, relative to the repository. */
  file: string;
  lang: string;
  /** The info string's words after the language. */
  marks: string[];
  /** The `## ` heading it is under ("" before the first). */
  section: string;
  /** 1-based line of its opening fence. */
  line: number;
  text: string;
}

function codeBlocks(md: string, file = "README.md"): Block[] {
  const blocks: Block[] = [];
  const lines = md.split("\n");
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    const h = /^## (.*)$/.exec(lines[i]);
    if (h) section = h[1].trim();
    const open = /^(`{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [lang = "", ...marks] = open[2].trim().split(/\s+/).filter((w) => w);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith(open[1]); i++) body.push(lines[i]);
    blocks.push({ file, lang, marks, section, line: start + 1, text: body.join("\n") });
  }
  return blocks;
}

const isShell = (b: Block) => b.lang === "sh" || b.lang === "bash" || b.lang === "shell";

/** One command of a runnable block. */
interface Step {
  text: string;
  /** `FILE line N`, for messages. */
  where: string;
  line: number;
  background: boolean;
  /** `#   -> TEXT` lines after it. */
  expect: string[];
}

/** `text` without a trailing ` # comment` (quotes respected). */
function withoutComment(text: string): string {
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function steps(block: Block): Step[] {
  const out: Step[] = [];
  const lines = block.text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t) continue;
    const arrow = /^#\s*->\s*(.*)$/.exec(t);
    if (arrow) {
      assert.ok(out.length, `${block.file} line ${block.line + 1 + i}: "->" before any command`);
      out.at(-1)!.expect.push(arrow[1]);
      continue;
    }
    if (t.startsWith("#")) continue;
    const line = block.line + 1 + i;
    let text = lines[i];
    while (text.endsWith("\\") && i + 1 < lines.length) text += "\n" + lines[++i];
    const bare = withoutComment(text);
    const background = /[^&]&$/.test(bare);
    const where = `${block.file} line ${line}`;
    out.push({ text: background ? bare.slice(0, -1) : text, where, line, background, expect: [] });
  }
  return out;
}

/** `TEXT` of a `->` line as a pattern: literal, with `...` for anything. */
function expectation(text: string): RegExp {
  const parts = text.split("...").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(parts.join(".*"));
}

/** A process started by a step: its output lines, collected as they come. */
interface Running {
  step: Step;
  child: Deno.ChildProcess;
  lines: string[];
  status: Promise<Deno.CommandStatus>;
  /** Resolves once stdout and stderr are read to the end. */
  drained: Promise<void>;
}

function start(script: string, cwd: string, step: Step): Running {
  // setsid: the step's shell and everything it starts are one process group, killed together.
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", PATH: `${dirname(Deno.execPath())}:${Deno.env.get("PATH") ?? ""}` },
  }).spawn();
  const lines: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
    if (buf) lines.push(buf);
  };
  const drained = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {});
  return { step, child, lines, status: child.status, drained };
}

function killGroup(r: Running) {
  try {
    Deno.kill(-r.child.pid, "SIGKILL");
  } catch { /* already gone */ }
}

const dirname = (p: string) => p.slice(0, p.lastIndexOf("/"));

/** Resolves with the status, or kills the group and fails after `ms`. */
async function finished(r: Running, ms: number): Promise<Deno.CommandStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(r);
      reject(new Error(`${r.step.where}: still running after ${ms} ms: ${r.step.text}`));
    }, ms);
  });
  try {
    const st = await Promise.race([r.status, timeout]);
    await r.drained;
    return st;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until a line of `r` matches `re`; fails if `r` exits first or after `ms`. */
async function awaitLine(r: Running, re: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let exited = false;
  r.status.then(() => exited = true);
  while (!r.lines.some((l) => re.test(l))) {
    if (exited) await r.drained;
    if (r.lines.some((l) => re.test(l))) return;
    assert.ok(
      !exited && Date.now() < deadline,
      `${r.step.where}: no line matching ${re} ${exited ? "before it exited" : "in time"}` +
        `; it printed:\n${r.lines.join("\n")}`,
    );
    await new Promise((res) => setTimeout(res, 50));
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A finished step and what it printed. */
interface Done {
  step: Step;
  /** The command as run, after substitutions. */
  ran: string;
  code: number;
  lines: string[];
}

/**
 * Runs the steps of a runnable block (see the module comment for the rules) in `cwd`.
 * `alias` is the README's alias line for `bondctl`.
 */
async function runBlock(block: Block, cwd: string, alias: string): Promise<Done[]> {
  const port = String(freePort());
  const prelude = [
    "shopt -s expand_aliases",
    `cd ${JSON.stringify(REPO)}`,
    alias,
    `npx() { [ "$1" = -y ] && [ "$2" = deno@${Deno.version.deno} ] || return 127; shift 2; deno "$@"; }`,
    `cd ${JSON.stringify(cwd)}`,
  ].join("\n");
  const done: Done[] = [];
  const background: Running[] = [];
  let pin = "";
  const settle = async (r: Running, ran: string) => {
    const st = await finished(r, STEP_MS);
    done.push({ step: r.step, ran, code: st.code, lines: r.lines });
    assert.equal(
      st.code,
      0,
      `${r.step.where}: exit ${st.code}: ${ran}\n${r.lines.join("\n")}`,
    );
  };
  try {
    for (const step of steps(block)) {
      if (/\btask test\b/.test(step.text)) {
        console.log(`  not run (${step.where}): ${step.text.trim()}: it is this suite`);
        continue;
      }
      if (withoutComment(step.text).trim() === "wait") {
        for (const r of background.splice(0)) await settle(r, r.step.text);
        continue;
      }
      let ran = step.text.replace(/(?<=:)7443\b/g, port);
      if (ran.includes("sha256:...")) {
        assert.ok(pin, `${step.where}: sha256:... but no bondctl receive printed a pin`);
        ran = ran.replaceAll("sha256:...", pin);
      }
      const r = start(`${prelude}\n${ran}`, cwd, step);
      const patterns = step.expect.map((e) => expectation(e.replace(/(?<=:)7443\b/g, port)));
      if (step.background) {
        background.push(r);
        for (const re of patterns) await awaitLine(r, re, EXPECT_MS);
        if (/\bbondctl\s+receive\b/.test(ran)) {
          await awaitLine(r, /--pin sha256:[0-9a-f]{64}/, EXPECT_MS);
          pin = /--pin (sha256:[0-9a-f]{64})/.exec(
            r.lines.find((l) => /--pin sha256/.test(l))!,
          )![1];
        }
        continue;
      }
      await settle(r, ran);
      for (const re of patterns) {
        assert.ok(
          r.lines.some((l) => re.test(l)),
          `${step.where}: nothing matches ${re}; it printed:\n${r.lines.join("\n")}`,
        );
      }
    }
    const left = background.filter((r) => !done.some((d) => d.step === r.step));
    assert.equal(
      left.length,
      0,
      `still running when the block ended (no wait?): ${left.map((r) => r.step.text).join("; ")}`,
    );
    return done;
  } finally {
    for (const r of background) {
      killGroup(r);
      await r.status;
      await r.drained;
    }
  }
}

/** The README's own `alias bondctl="..."` line: how it says to run bondctl from a checkout. */
function aliasLine(md: string): string {
  const m = /alias bondctl="deno run -A \$PWD\/cli\/main\.ts"/.exec(md);
  assert.ok(m, 'README.md no longer says alias bondctl="deno run -A $PWD/cli/main.ts"');
  return m[0];
}

const readme = () => Deno.readTextFile(README);

/** Guides that mark every shell block the README's way (those that exist are checked and run). */
const MARKED_GUIDES = ["docs/GUIDE-BOX.md", "docs/QUICKSTART.md"];

/** The marked guides that exist, with their blocks. */
async function markedGuides(): Promise<{ file: string; blocks: Block[] }[]> {
  const out = [];
  for (const file of MARKED_GUIDES) {
    const md = await Deno.readTextFile(`${REPO}/${file}`).catch(() => null);
    if (md !== null) out.push({ file, blocks: codeBlocks(md, file) });
  }
  return out;
}

function checkMarks(blocks: Block[]) {
  for (const b of blocks) {
    for (const m of b.marks) {
      assert.ok(MARKS.includes(m), `${b.file} line ${b.line}: unknown mark "${m}" (${MARKS})`);
    }
    assert.ok(b.marks.length <= 1, `${b.file} line ${b.line}: more than one mark`);
  }
}

function checkMarked(b: Block) {
  assert.equal(b.marks.length, 1, `${b.file} line ${b.line}: a shell block without a mark`);
  assert.match(b.text, /^# /, `${b.file} line ${b.line}: its first line should say where it runs`);
}

Deno.test("README and guides: every mark is known; the Quick start and guides mark each block", async () => {
  const md = await readme();
  const blocks = codeBlocks(md);
  checkMarks(blocks);
  const quick = blocks.filter((b) => b.section === "Quick start" && isShell(b));
  assert.ok(quick.some((b) => b.marks[0] === "runnable"), "the Quick start has no runnable block");
  quick.forEach(checkMarked);
  for (const m of MARKS) assert.ok(md.includes(`\`${m}\``), `the README does not explain "${m}"`);
  for (const g of await markedGuides()) {
    checkMarks(g.blocks);
    g.blocks.filter(isShell).forEach(checkMarked);
  }
});

Deno.test({
  name: "README: the two commands at the top run (task demo) on this Deno",
  ignore: ignoreRuns,
  fn: async () => {
    const md = await readme();
    const top = codeBlocks(md)[0];
    assert.equal(top.section, "", "the README's first code block is no longer above its sections");
    assert.deepEqual(top.marks, ["runnable"]);
    const cmds = steps(top).map((s) => withoutComment(s.text));
    const v = /^npx -y deno@(\S+) task demo$/.exec(cmds[0] ?? "");
    assert.ok(v, `the first command is not npx -y deno@V task demo: ${cmds[0]}`);
    assert.equal(cmds[1], `npx -y deno@${v[1]} task test`);
    assert.equal(Deno.version.deno, v[1], "the README names another Deno than the one running");
    const t0 = performance.now();
    const done = await runBlock(top, REPO, aliasLine(md));
    console.log(`  task demo took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const demo = done.find((d) => /task demo/.test(d.ran));
    assert.ok(demo, "task demo did not run");
    const out = demo.lines.join("\n");
    const links = /bonded over (\d+) loopback links/.exec(top.text);
    assert.ok(links, "the README no longer says how many loopback links the demo bonds");
    assert.match(out, new RegExp(`\\b${links[1]} loopback links`));
    assert.match(out, /sender exit 0, receiver exit 0/);
    assert.match(out, /output identical to the input \(SHA-256\)/);
  },
});

Deno.test({
  name: "README: the Quick start runs as written",
  ignore: ignoreRuns,
  fn: async () => {
    const md = await readme();
    const alias = aliasLine(md);
    const quick = codeBlocks(md).filter((b) => b.section === "Quick start" && isShell(b));
    const runnable = quick.filter((b) => b.marks[0] === "runnable");
    assert.ok(runnable.length > 0);
    for (const block of runnable) {
      const dir = await Deno.makeTempDir({ prefix: "bondctl-readme-" });
      try {
        const done = await runBlock(block, dir, alias);
        const bondctl = done.filter((d) => /\bbondctl\s/.test(d.ran));
        const receive = bondctl.find((d) => /\bbondctl\s+receive\b/.test(d.ran));
        const send = bondctl.find((d) => /\bbondctl\s+send\b/.test(d.ran));
        assert.ok(
          receive && send,
          `${block.file} line ${block.line}: no bondctl receive and send to run`,
        );
        for (const d of bondctl) {
          // A stall comes from a busy machine's scheduling, not from what the README says.
          const warnings = d.lines.filter((l) => /warning:/.test(l) && !/ stalled/.test(l));
          assert.deepEqual(warnings, [], `${d.step.where} warns`);
        }
        // What was sent is what came out, by SHA-256 (whatever the block itself compared).
        const input = /--input\s+(\S+)/.exec(send.ran)?.[1];
        const output = /--output\s+(\S+)/.exec(receive.ran)?.[1];
        assert.ok(input && output, "the Quick start names no --input and --output files");
        const size = (await Deno.stat(`${dir}/${input}`)).size;
        assert.ok(size > 0, `${input} is empty`);
        assert.equal(await sha256File(`${dir}/${output}`), await sha256File(`${dir}/${input}`));
      } finally {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  },
});

// Every other runnable block (in the README outside the top and the Quick start, and in the
// marked guides) runs too, one test each: in the repository if it runs `deno task`, else in a
// fresh temp dir, by the same rules.
const others: Block[] = [
  ...codeBlocks(await readme()).filter((b, i) => i > 0 && b.section !== "Quick start"),
  ...(await markedGuides()).flatMap((g) => g.blocks),
].filter((b) => b.marks[0] === "runnable");
for (const block of others) {
  Deno.test({
    name: `${block.file} line ${block.line}: the runnable block runs as written`,
    ignore: ignoreRuns,
    fn: async () => {
      const md = await readme();
      const inRepo = /\bdeno task\b/.test(block.text);
      const dir = inRepo ? REPO : await Deno.makeTempDir({ prefix: "bondctl-docs-" });
      try {
        const done = await runBlock(block, dir, aliasLine(md));
        assert.ok(done.length > 0, "nothing ran");
      } finally {
        if (!inRepo) await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  });
}

/** The simple commands of a shell text, as words (quotes removed, redirections dropped). */
function simpleCommands(src: string): string[][] {
  const cmds: string[][] = [];
  let words: string[] = [];
  let w = "";
  let inWord = false;
  let redirect = false;
  const endWord = () => {
    if (inWord) {
      if (redirect) redirect = false;
      else words.push(w);
    }
    w = "";
    inWord = false;
  };
  const endCmd = () => {
    endWord();
    if (words.length) cmds.push(words);
    words = [];
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      if (src[i + 1] !== "\n") (w += src[i + 1] ?? ""), (inWord = true);
      i++;
    } else if (c === "'" || c === '"') {
      const j = src.indexOf(c, i + 1);
      w += src.slice(i + 1, j < 0 ? undefined : j);
      i = j < 0 ? src.length : j;
      inWord = true;
    } else if (c === "#" && !inWord) {
      const nl = src.indexOf("\n", i);
      i = (nl < 0 ? src.length : nl) - 1;
    } else if (c === " " || c === "\t") {
      endWord();
    } else if ("\n;|&()".includes(c)) {
      endCmd();
    } else if (c === ">" || c === "<") {
      // A redirection: drop the operator, a file descriptor before it, and its target.
      if (inWord && /^\d+$/.test(w)) (w = ""), (inWord = false);
      else endWord();
      while (src[i + 1] === ">" || src[i + 1] === "&") i++;
      redirect = true;
    } else {
      w += c;
      inWord = true;
    }
  }
  endCmd();
  return cmds;
}

type AnyCommand = Command<unknown[], Record<string, unknown>>;

/** The CLI with every action and hook removed: parsing checks options and values, runs nothing. */
function inertProgram(errors: string[]): AnyCommand {
  const inert = (c: AnyCommand) => {
    c.exitOverride();
    c.configureOutput({ writeOut: () => {}, writeErr: (s) => errors.push(s.trim()) });
    c.action(() => {});
    // The --config hook reads files and the environment; that is not what is checked here.
    (c as unknown as { _lifeCycleHooks: unknown })._lifeCycleHooks = {};
    for (const s of c.commands) inert(s as AnyCommand);
  };
  const p = buildProgram() as unknown as AnyCommand;
  inert(p);
  return p;
}

/**
 * A documented command's words as a parser sees them: `...` alone stands for options left out
 * (dropped) and `sha256:...` / `sha256:3f5a...` for a pin (64 zeros).
 */
function withPlaceholders(args: string[]): string[] {
  return args.filter((a) => a !== "...").map((a) =>
    /^sha256:[0-9a-f:]*\.\.\.$/.test(a) ? `sha256:${"0".repeat(64)}` : a
  );
}

Deno.test("every bondctl command in the README and docs/ parses, every deno task exists", async () => {
  const tasks = Object.keys(
    JSON.parse(await Deno.readTextFile(`${REPO}/deno.json`)).tasks as Record<string, string>,
  );
  const failures: string[] = [];
  let parsed = 0;
  for (const file of [README, ...await GUIDES()]) {
    const md = await Deno.readTextFile(file).catch(() => null);
    if (md === null) continue;
    for (const b of codeBlocks(md).filter(isShell)) {
      for (let words of simpleCommands(b.text)) {
        while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? "") || words[0] === "sudo") {
          words = words.slice(1);
        }
        const where = `${file.slice(REPO.length + 1)} line ${b.line}: ${words.join(" ")}`;
        if (words[0] === "deno" && words[1] === "task" && words[2]) {
          if (!tasks.includes(words[2])) failures.push(`${where}: no such task`);
        }
        if (words[0] !== "bondctl") continue;
        const errors: string[] = [];
        try {
          await inertProgram(errors).parseAsync(withPlaceholders(words.slice(1)), { from: "user" });
          parsed++;
        } catch (e) {
          // --help and --version end a parse with exit code 0: the command is fine.
          if ((e as { exitCode?: number }).exitCode === 0) {
            parsed++;
            continue;
          }
          failures.push(`${where}\n    ${errors.join(" ") || (e as Error).message}`);
        }
      }
    }
  }
  assert.deepEqual(failures, [], failures.join("\n"));
  // Guards against a parser that finds nothing and so passes.
  assert.ok(parsed >= 10, `only ${parsed} bondctl commands found`);
  console.log(`  ${parsed} bondctl commands parsed`);
});
