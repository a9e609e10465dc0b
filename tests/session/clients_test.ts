// Tests of the clients file (core/session/clients.ts), in order: a numbered table of files
// that must be refused, each with the message it must give and the token it must NOT quote;
// a good file; whether a credential is still valid after a reload.

import assert from "node:assert/strict";
import {
  ClientsFileError,
  parseClientsFile,
  SHARED_CLIENT,
  stillValid,
} from "../../core/session/clients.ts";

const SECRET = "s3cr3t-token-0123456789";

const REFUSED: [n: number, text: string, message: RegExp][] = [
  [
    1,
    `{"clients": [{"name": "a", "token": "${SECRET}" x]}`,
    /not valid JSON at line 1, column \d+/,
  ],
  [2, `{"clients": [{"name": "a", "token": "${SECRET}"`, /not valid JSON/],
  [3, `{"clients": [{"name": "../etc", "token": "${SECRET}"}]}`, /clients\.0\.name: must be 1-64/],
  [4, `{"clients": [{"name": ".", "token": "${SECRET}"}]}`, /clients\.0\.name/],
  [5, `{"clients": [{"name": "a/b", "token": "${SECRET}"}]}`, /clients\.0\.name/],
  [6, `{"clients": [{"name": "a", "token": "short"}]}`, /clients\.0\.token: must be at least 16/],
  [7, `{"clients": [{"name": "a", "token": "${SECRET}", "extra": 1}]}`, /clients\.0/],
  [8, `{"clients": [{"name": "${SECRET}", "token": "${SECRET}"}]}`, /listed|name|token/],
  [
    9,
    `{"clients": [{"name": "a", "token": "${SECRET}"}, {"name": "a", "token": "x${SECRET}"}]}`,
    /"a" is listed twice/,
  ],
  [
    10,
    `{"clients": [{"name": "a", "token": "${SECRET}"}, {"name": "b", "token": "${SECRET}"}]}`,
    /"b" has the same token/,
  ],
  [
    11,
    `{"clients": [{"name": "${SHARED_CLIENT}", "token": "${SECRET}"}]}`,
    /reserved for the shared token/,
  ],
  [12, `[]`, /expected object/i],
  [13, `{"clients": {"a": "${SECRET}"}}`, /clients/],
];

for (const [n, text, message] of REFUSED) {
  Deno.test(`parseClientsFile() refuses case ${n} without quoting a token`, () => {
    let e: unknown = null;
    try {
      parseClientsFile(text, "c.json");
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof ClientsFileError, `case ${n} was not refused: ${e}`);
    assert.match(e.message, message);
    assert.match(e.message, /^--clients c\.json/);
    assert.ok(!e.message.includes(SECRET), `case ${n} quotes the token: ${e.message}`);
  });
}

Deno.test("parseClientsFile() reads names and tokens", () => {
  const creds = parseClientsFile(
    JSON.stringify({
      clients: [{ name: "van-1", token: SECRET }, { name: "Cam_2.b", token: "x" + SECRET }],
    }),
    "c.json",
  );
  assert.deepEqual(creds.map((c) => c.name), ["van-1", "Cam_2.b"]);
  assert.equal(new TextDecoder().decode(creds[0].token), SECRET);
});

Deno.test("stillValid() keeps a client whose name and token are unchanged, only", () => {
  const [a] = parseClientsFile(JSON.stringify({ clients: [{ name: "a", token: SECRET }] }), "c");
  const same = parseClientsFile(JSON.stringify({ clients: [{ name: "a", token: SECRET }] }), "c");
  const changed = parseClientsFile(
    JSON.stringify({ clients: [{ name: "a", token: "y" + SECRET }] }),
    "c",
  );
  assert.ok(stillValid(a, same));
  assert.ok(!stillValid(a, changed));
  assert.ok(!stillValid(a, []));
});
