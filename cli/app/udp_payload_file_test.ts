import assert from "node:assert/strict";
import { nmapPayloadsFor } from "./udp_payload_file.ts";
import { dataFilesRead, resetDataFilesRead } from "../data_files.ts";

async function withDatadir(text: string, fn: (dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ph-payloads-" });
  try {
    await Deno.writeTextFile(`${dir}/nmap-payloads`, text);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("nmap-payloads from --datadir: the table, and noted for -v", async () => {
  await withDatadir('udp 7,9 "\\r\\n"\nudp 7 "x"\n', (dir) => {
    resetDataFilesRead();
    const warnings: string[] = [];
    const table = nmapPayloadsFor({ datadir: dir }, (l) => warnings.push(l));
    assert.deepEqual(warnings, []);
    assert.deepEqual(table!.get(7)!.map((p) => [...p]), [[13, 10], [0x78]]);
    assert.deepEqual(table!.get(9)!.map((p) => [...p]), [[13, 10]]);
    assert.equal(dataFilesRead()["nmap-payloads"], `${dir}/nmap-payloads`);
    resetDataFilesRead();
  });
});

Deno.test("a bad nmap-payloads: one warning naming file and line, once; not used", async () => {
  await withDatadir('udp 7 "ok"\nudp 8 "\\q"\n', (dir) => {
    const warnings: string[] = [];
    const warn = (l: string) => warnings.push(l);
    assert.equal(nmapPayloadsFor({ datadir: dir }, warn), undefined);
    assert.equal(nmapPayloadsFor({ datadir: dir }, warn), undefined);
    assert.deepEqual(warnings, [
      `WARNING: Bad payload string (unknown escape \\q) at line 2 of ${dir}/nmap-payloads; ` +
      "using Porthole's own UDP payloads.",
    ]);
    resetDataFilesRead();
  });
});
