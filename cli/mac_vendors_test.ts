import { assertEquals } from "../tests/testing/assert.ts";
import IEEE_OUI from "./data/ieee-oui.txt" with { type: "text" };
import assert from "node:assert/strict";
import {
  decodeIeeeTable,
  lookupVendor,
  macVendor,
  parseMacPrefixes,
  spoofMacAddress,
  vendorPrefix,
} from "./mac_vendors.ts";
import { dataFilesRead, resetDataFilesRead } from "./data_files.ts";

Deno.test("MAC table: nmap-mac-prefixes parsed as nmap does (6/7/9 digits, first duplicate kept)", () => {
  const t = parseMacPrefixes(
    "# comment\n001B21 Intel Corporate\n001B21 Someone Else\n70B3D5 IEEE Registration Authority\n" +
      "70B3D5F2F Teleplatforms\n741AE09 Private\nnot a line\n000000 Xerox\n",
  );
  assertEquals(lookupVendor(t, "00:1b:21:3a:4f:01"), "Intel Corporate");
  assertEquals(lookupVendor(t, "70:B3:D5:F2:F0:01"), "Teleplatforms"); // MA-S beats MA-L
  assertEquals(lookupVendor(t, "70:B3:D5:11:00:01"), "IEEE Registration Authority");
  assertEquals(lookupVendor(t, "74:1A:E0:90:00:01"), "Private"); // MA-M
  assertEquals(lookupVendor(t, "00:00:00:00:00:01"), undefined); // after the bad line
});

Deno.test("MAC table: the built-in IEEE table names registered prefixes", async () => {
  const t = await decodeIeeeTable(IEEE_OUI);
  assertEquals(t.size > 30_000, true);
  assertEquals(lookupVendor(t, "00:1B:21:00:00:01"), "Intel Corporate");
  assertEquals(lookupVendor(t, "00:00:0C:12:34:56"), "Cisco Systems, Inc");
  assertEquals(lookupVendor(t, "02:70:68:c8:00:01"), undefined);
  // The header says where it comes from and on what terms.
  const header = IEEE_OUI.split("\n").filter((l) => l.startsWith("#")).join("\n");
  assertEquals(/ieee-data/.test(header) && /copyright/i.test(header), true);
});

Deno.test("macVendor: nmap's table when found (and noted), the IEEE table for what it lacks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ph-mac-" });
  try {
    await Deno.writeTextFile(
      `${dir}/nmap-mac-prefixes`,
      "001B21 Intel from nmap\n525400 QEMU virtual NIC\n",
    );
    resetDataFilesRead();
    assertEquals(await macVendor("00:1b:21:00:00:01", dir), "Intel from nmap");
    assertEquals(await macVendor("52:54:00:12:34:56", dir), "QEMU virtual NIC");
    assertEquals(await macVendor("00:00:0c:00:00:01", dir), "Cisco Systems, Inc");
    assertEquals(await macVendor("02:70:68:c8:00:01", dir), undefined);
    assertEquals(dataFilesRead(), { "nmap-mac-prefixes": `${dir}/nmap-mac-prefixes` });
  } finally {
    resetDataFilesRead();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MAC table: searching nmap's text finds what parsing it finds", async () => {
  const { searchPrefix } = await import("./mac_vendors.ts");
  const text = "# c\n001B21 Intel Corporate\n001B21 Other\n70B3D5F2F Teleplatforms\r\n001B2 bad\n";
  assertEquals(searchPrefix(text, "001B21"), "Intel Corporate");
  assertEquals(searchPrefix(text, "70B3D5F2F"), "Teleplatforms");
  assertEquals(searchPrefix(text, "70B3D5"), undefined);
  assertEquals(searchPrefix("001B21 First\n", "001B21"), "First");
  let nmap: string;
  try {
    nmap = await Deno.readTextFile("/usr/share/nmap/nmap-mac-prefixes");
  } catch {
    return; // no nmap installed: the small cases above still ran
  }
  const table = parseMacPrefixes(nmap);
  let n = 0;
  for (const [prefix, vendor] of table) {
    if (n++ % 97 === 0) assertEquals(searchPrefix(nmap, prefix), vendor, prefix);
  }
});

Deno.test("--spoof-mac: prefixes, vendor names and nmap's refusals", async () => {
  const fail = (m: string): never => {
    throw new Error(m);
  };
  const full = await spoofMacAddress("02:70:68:aa:bb:cc", fail);
  assert.deepEqual([...full.mac], [0x02, 0x70, 0x68, 0xaa, 0xbb, 0xcc]);
  assert.match(full.text, /^02:70:68:AA:BB:CC \(.+\)$/);
  const prefix = await spoofMacAddress("0270", fail);
  assert.deepEqual([...prefix.mac.slice(0, 2)], [0x02, 0x70]);
  assert.equal((await spoofMacAddress("0", fail)).mac.length, 6);
  await assert.rejects(
    () => spoofMacAddress("00:11:22:33:44:55:66", fail),
    /Bogus --spoof-mac value encountered \(00:11:22:33:44:55:66\) -- only up to 6 bytes permitted/,
  );
  await assert.rejects(
    () => spoofMacAddress("no such vendor anywhere", fail),
    /Could not parse as a prefix nor find as a vendor substring the given --spoof-mac argument: no such vendor anywhere\. {2}If you are giving hex digits, there must be an even number of them\./,
  );
  const text = "# comment\n000001 Xerox\n0003E3 Cisco Systems\n70B3D5A Odd Vendor\n";
  assert.equal(vendorPrefix(text, "cisco"), "0003E3");
  assert.equal(vendorPrefix(text, "odd"), "70B3D5A");
  assert.equal(vendorPrefix(text, "nobody"), undefined);
});
