import { deepEqual, equal, rejects } from "node:assert/strict";
import { declaredCategories, scriptDbText, scriptsDirIn, updateScriptDb } from "./update_db.ts";
import { parseScriptDb } from "./select.ts";
import { haveTool } from "../../tests/_oracle.ts";

const NMAP_DATA = "/usr/share/nmap";

Deno.test("--script-updatedb: one Entry per .nse file, in byte order, categories sorted and lower-cased", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/scripts`);
    const script = (cats: string) =>
      `description = "x"\ncategories = {${cats}}\nportrule = function() return false end\n` +
      `action = function() end\n`;
    await Deno.writeTextFile(`${dir}/scripts/b-two.nse`, script(`"safe", "Discovery"`));
    await Deno.writeTextFile(`${dir}/scripts/B-upper.nse`, script(`"default"`));
    await Deno.writeTextFile(`${dir}/scripts/a-one.nse`, script(`"vuln", "intrusive", "auth"`));
    await Deno.writeTextFile(`${dir}/scripts/notes.txt`, "not a script");
    // Not loadable (a library no one has): its line comes from the source.
    await Deno.writeTextFile(
      `${dir}/scripts/c-broken.nse`,
      `local x = require "no_such_library"\ncategories = {"broadcast"}\n`,
    );
    equal(scriptsDirIn([`${dir}/missing`, dir]), `${dir}/scripts`);
    const lines: string[] = [];
    await updateScriptDb(`${dir}/scripts`, [dir], (l) => lines.push(l));
    deepEqual(lines, [
      "NSE: Updating rule database.",
      "NSE: Script Database updated successfully.",
    ]);
    equal(
      await Deno.readTextFile(`${dir}/scripts/script.db`),
      'Entry { filename = "B-upper.nse", categories = { "default", } }\n' +
        'Entry { filename = "a-one.nse", categories = { "auth", "intrusive", "vuln", } }\n' +
        // nmap sorts before lower-casing: "Discovery" < "safe"
        'Entry { filename = "b-two.nse", categories = { "discovery", "safe", } }\n' +
        'Entry { filename = "c-broken.nse", categories = { "broadcast", } }\n',
    );
    // What --script reads back.
    deepEqual(parseScriptDb(await Deno.readTextFile(`${dir}/scripts/script.db`))[1], {
      filename: "a-one.nse",
      categories: ["auth", "intrusive", "vuln"],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--script-updatedb: an unwritable directory gives nmap's message", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // script.db as a directory: the write fails whoever runs the test (root included).
    await Deno.mkdir(`${dir}/script.db`);
    await rejects(
      () => updateScriptDb(dir, [], () => {}),
      /^Error: Could not save script\.db: /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("declaredCategories: the list as written", () => {
  deepEqual(declaredCategories(`x = 1\ncategories = { "a",'b' }\n`), ["a", "b"]);
  deepEqual(declaredCategories("no list"), []);
});

Deno.test({
  name: "--script-updatedb over nmap's 7.93 scripts writes nmap's own script.db, byte for byte",
  ignore: !haveTool(`${NMAP_DATA}/scripts/script.db`),
  fn: async () => {
    const text = await scriptDbText(`${NMAP_DATA}/scripts`, [NMAP_DATA]);
    equal(text, await Deno.readTextFile(`${NMAP_DATA}/scripts/script.db`));
  },
});
