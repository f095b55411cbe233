/**
 * `porthole inventory report` opened in headless Chromium (Debian's chromium, run in a network
 * namespace of its own so it reaches nothing): the DOM has the picture,
 * the changes and the inventory; a screenshot is taken; the file fetches and runs nothing.
 */

import { assert, assertEquals } from "./testing/assert.ts";
import { porthole } from "./testing/porthole_cli.ts";

const REPO = new URL("../", import.meta.url).pathname;
const DATA = `${REPO}tests/data/inventory/`;
const dec = new TextDecoder();

function chromiumMissing(): string | null {
  try {
    new Deno.Command("chromium", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
  } catch {
    return "chromium is not installed (tools/setup.sh installs it)";
  }
  if (Deno.uid() !== 0) return "a network namespace for Chromium needs root";
  return null;
}
const missing = chromiumMissing();
if (missing) console.warn(`inventory report browser test ignored: ${missing}`);

/** Chromium, headless, in a fresh network namespace (no interface but lo). */
async function chromium(args: string[], cwd: string): Promise<string> {
  const o = await new Deno.Command("timeout", {
    args: [
      "120",
      "unshare",
      "--net",
      "chromium",
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${cwd}/profile`,
      ...args,
    ],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(o.code, 0, `chromium ${args.join(" ")}: ${dec.decode(o.stderr)}`);
  return dec.decode(o.stdout);
}

Deno.test({
  name: "porthole inventory report: self-contained HTML, checked in headless Chromium",
  ignore: missing !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ph-report-" });
    try {
      const files = ["nmap-a.xml", "nmap-b.xml", "nmap-c.xml"].map((f) => DATA + f);
      assertEquals((await porthole(["inventory", "import", ...files], dir)).code, 0);
      const r = await porthole(["inventory", "report", "--since", "@1", "-o", "report.html"], dir);
      assertEquals([r.code, r.stderr], [0, ""]);
      const html = await Deno.readTextFile(`${dir}/report.html`);
      // Nothing to fetch, nothing to run.
      assert(!/<script|<link|<img|<iframe|\bsrc=|url\(/i.test(html), "the report loads something");
      assert(!/href=/i.test(html), "the report links out");

      const dom = await chromium(["--dump-dom", `file://${dir}/report.html`], dir);
      const count = (re: RegExp) => (dom.match(re) ?? []).length;
      assert(dom.includes("<h1>Porthole inventory</h1>"), dom.slice(0, 500));
      assert(/<svg[^>]*id="timeline"/.test(dom), "no picture");
      assertEquals(count(/<polyline /g), 2);
      assertEquals(count(/<circle /g), 6); // 3 scans, 2 lines
      const changes = /<section id="changes">([\s\S]*?)<\/section>/.exec(dom)![1]!;
      assert(/Changes from scan 1 \(.*\) to scan 3/.test(changes), changes);
      assertEquals(
        [...changes.matchAll(/<tr class="([^"]+)">/g)].map((m) => m[1]),
        ["version-changed", "port-opened", "host-appeared"],
      );
      const inventory = /<section id="inventory">([\s\S]*?)<\/section>/.exec(dom)![1]!;
      assertEquals((inventory.match(/<tr>/g) ?? []).length, 1 + 6); // header + 6 open ports
      assert(inventory.includes("<td>Apache httpd 2.4.58</td>"), inventory);

      // Headless Chromium takes screenshots and DOM dumps through JavaScript, so it stays on;
      // the page has no script (asserted above), so it reads the same with JavaScript off.
      await chromium([
        "--window-size=1100,1300",
        `--screenshot=${dir}/report.png`,
        `file://${dir}/report.html`,
      ], dir);
      const png = await Deno.readFile(`${dir}/report.png`);
      assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
      assert(png.length > 20_000, `screenshot of ${png.length} bytes: blank?`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
