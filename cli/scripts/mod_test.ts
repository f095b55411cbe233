import assert from "node:assert/strict";
import { BUILTIN_DIR, NMAP_DATA_DIRS, nmapPortOrder, scriptHelp, whichRuns } from "./mod.ts";

const haveScripts = NMAP_DATA_DIRS.some((d) => {
  try {
    return Deno.statSync(`${d}/scripts/script.db`).isFile;
  } catch {
    return false;
  }
});

Deno.test("whichRuns: a note only for ids with a built-in twin, saying which runs and why", () => {
  assert.equal(
    whichRuns("ssh-auth-methods", "/usr/share/nmap/scripts/ssh-auth-methods.nse"),
    undefined,
  );
  assert.equal(whichRuns("http-title", `${BUILTIN_DIR}/http-title.nse`), undefined);
  assert.match(
    whichRuns("http-title", "/usr/share/nmap/scripts/http-title.nse")!,
    /^Porthole: nmap's http-title\.nse runs \(nmap's scripts are installed\)/,
  );
  assert.equal(
    whichRuns("ntp-info", "/x/ntp-info.nse", "/x/ntp-info.nse:9: module 'lpeg' not found:"),
    "Porthole: nmap's ntp-info.nse cannot load here (module 'lpeg' not found);\n" +
      "Porthole's built-in ntp-info runs instead.",
  );
});

Deno.test({
  name: "--script-help with nmap's scripts installed: nmap's wins where it loads",
  ignore: !haveScripts,
  async fn() {
    const out = await scriptHelp("http-title,ntp-info,ssh-auth-methods");
    // ntp-info needs nmap's lpeg, which Porthole has: nmap's loads and runs.
    // Each entry starts with its id on a line of its own, after an empty line.
    const entries = out.split(/\n\n(?=[\w.-]+\n(?:Categories:|\(not loadable))/);
    const entry = (id: string) =>
      entries.find((e) => e.replace(/^\n/, "").startsWith(`${id}\n`)) ?? "";
    // nmap's description, then the note.
    assert.match(
      entry("http-title"),
      /^ {2}Shows the title of the default page of a web server\./m,
    );
    assert.match(entry("http-title"), /\nPorthole: nmap's http-title\.nse runs/);
    assert.match(entry("ntp-info"), /\nPorthole: nmap's ntp-info\.nse runs/);
    assert.doesNotMatch(out, /Porthole: nmap's ssh-auth-methods/);
  },
});

Deno.test("nse: a host's ports reach the portrules in nmap's order: open, then open|filtered; TCP, UDP; by number", () => {
  const p = (port: number, protocol: string, state: string) =>
    ({ port, protocol, state }) as Parameters<typeof nmapPortOrder>[0];
  const ports = [
    p(161, "udp", "open"),
    p(69, "udp", "open|filtered"),
    p(80, "tcp", "open"),
    p(22, "tcp", "open"),
    p(53, "udp", "open"),
  ];
  assert.deepEqual(ports.sort(nmapPortOrder).map((x) => `${x.port}/${x.protocol}`), [
    "22/tcp",
    "80/tcp",
    "53/udp",
    "161/udp",
    "69/udp",
  ]);
});
