/**
 * Finds and reads scenario files: a name looks in `fixtures/scenarios/`, a path is read as is.
 * @module
 */
import { parseScenario, type Scenario, ScenarioError } from "./scenario.ts";

const DIR = new URL("../../fixtures/scenarios/", import.meta.url);

/**
 * Names of the shipped scenarios.
 * @example
 * ```ts
 * console.log(await scenarioNames());
 * ```
 */
export async function scenarioNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(DIR)) {
    if (e.isFile && e.name.endsWith(".json")) names.push(e.name.slice(0, -5));
  }
  return names.sort();
}

/**
 * Loads a scenario by name (`four-modems`) or by path (`./my.json`).
 * @example
 * ```ts
 * const s = await loadScenario("patent-example");
 * ```
 */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const isPath = nameOrPath.includes("/") || nameOrPath.endsWith(".json");
  const url = isPath ? nameOrPath : new URL(`${nameOrPath}.json`, DIR);
  let text: string;
  try {
    text = await Deno.readTextFile(url);
  } catch {
    if (isPath) throw new ScenarioError(`cannot read scenario file ${nameOrPath}`);
    const names = await scenarioNames().catch(() => []);
    throw new ScenarioError(`no scenario named ${nameOrPath} (shipped: ${names.join(", ")})`);
  }
  return parseScenario(text, isPath ? nameOrPath : `fixtures/scenarios/${nameOrPath}.json`);
}
