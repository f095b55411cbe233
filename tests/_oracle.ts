/**
 * Oracle tools (nmap, ndiff, xmllint, xsltproc, perl, openssl, jq, tcpdump): the programs whose
 * answers Porthole's are checked against. A comparison whose tool is missing is reported by the test
 * runner as ignored, never as passed.
 *
 * @module
 */

const found = new Map<string, boolean>();

/** Is `name` on PATH (or, for an absolute path, a data file an oracle reads, there)? Asked once. */
export function haveTool(name: string): boolean {
  let have = found.get(name);
  if (have === undefined) {
    try {
      have = name.startsWith("/") ? Deno.statSync(name).isFile : new Deno.Command("sh", {
        args: ["-c", 'command -v "$0"', name],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    } catch {
      have = false;
    }
    found.set(name, have);
  }
  return have;
}

/** The tools of `tools` that are missing, for an `ignore:` and its reason. */
export function missingTools(...tools: string[]): string[] {
  return tools.filter((t) => !haveTool(t));
}

/**
 * Runs `fn` as a step of its own named after the oracle: ignored (and so reported as ignored) when
 * one of `tools` is missing.
 */
export async function oracleStep(
  t: Deno.TestContext,
  tools: string | string[],
  fn: () => Promise<void>,
  name = "equals nmap's",
): Promise<void> {
  const missing = missingTools(...[tools].flat());
  await t.step({
    name: missing.length ? `${name} (ignored: ${missing.join(", ")} missing)` : name,
    ignore: missing.length > 0,
    fn,
    sanitizeOps: false,
    sanitizeResources: false,
  });
}
