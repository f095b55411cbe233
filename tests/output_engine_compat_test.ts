/**
 * End to end: Porthole's own connect scan of loopback listeners (cli/main.ts
 * as a subprocess, -oX/-oG/-oJ) against nmap's scan of the same ports. ndiff
 * must report no differences, the XML must be valid against nmap.dtd, the
 * grepable host lines must equal nmap's, and jq must find the open ports.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { missingTools } from "./_oracle.ts";

async function run(cmd: string, args: string[]) {
  const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

function listenWindow(): { base: number; listeners: Deno.Listener[]; open: number[] } {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const open = [base + 3, base + 4, base + 11];
    const listeners: Deno.Listener[] = [];
    try {
      for (const port of open) listeners.push(Deno.listen({ hostname: "127.0.0.1", port }));
      return { base, listeners, open };
    } catch {
      for (const l of listeners) l.close();
    }
  }
  throw new Error("no free loopback ports");
}

const hostLines = (gnmap: string) => gnmap.split("\n").filter((l) => l.startsWith("Host: "));

Deno.test({
  name: "porthole -sT and nmap -sT of the same loopback ports: ndiff sees no difference",
  ignore: missingTools("nmap", "ndiff", "xmllint").length > 0,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-e2e-" });
  const { base, listeners, open } = listenWindow();
  try {
    const ports = `22,${base}-${base + 39}`;
    const main = new URL("../cli/main.ts", import.meta.url).pathname;
    const ph = await run(Deno.execPath(), [
      "run",
      "--quiet",
      "--allow-all",
      "--unstable-net",
      main,
      "-sT",
      "-p",
      ports,
      "127.0.0.1",
      "-oX",
      `${dir}/p.xml`,
      "-oG",
      `${dir}/p.gnmap`,
      "-oJ",
      `${dir}/p.json`,
    ]);
    assertEquals(ph.code, 0, ph.err);
    const nm = await run("nmap", [
      "-sT",
      "-p",
      ports,
      "127.0.0.1",
      "-oX",
      `${dir}/n.xml`,
      "-oG",
      `${dir}/n.gnmap`,
    ]);
    assertEquals(nm.code, 0, nm.err);

    const nd = await run("ndiff", [`${dir}/n.xml`, `${dir}/p.xml`]);
    assertEquals(nd.code, 0, `ndiff:\n${nd.out}${nd.err}`);
    const lint = await run("xmllint", [
      "--noout",
      "--dtdvalid",
      "/usr/share/nmap/nmap.dtd",
      `${dir}/p.xml`,
    ]);
    assertEquals(lint.code, 0, lint.err);
    assertEquals(
      hostLines(await Deno.readTextFile(`${dir}/p.gnmap`)),
      hostLines(await Deno.readTextFile(`${dir}/n.gnmap`)),
    );
    const jq = await run("jq", [
      "-c",
      'select(.type=="host") | [.ports[] | select(.state=="open") | .port]',
      `${dir}/p.json`,
    ]);
    assertEquals(jq.out, JSON.stringify(open) + "\n");
    assert(hostLines(await Deno.readTextFile(`${dir}/p.gnmap`)).length === 2);
  } finally {
    for (const l of listeners) l.close();
    await Deno.remove(dir, { recursive: true });
  }
});
