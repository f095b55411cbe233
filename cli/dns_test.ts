import { assertEquals } from "./_testing.ts";
import { parseHostsFile, ptrName, SystemResolver } from "./dns.ts";

Deno.test("hosts file parsing and PTR names", () => {
  assertEquals(parseHostsFile("127.0.0.1 localhost lh # c\n# x\n::1 ip6-localhost\n"), [
    { address: "127.0.0.1", names: ["localhost", "lh"] },
    { address: "::1", names: ["ip6-localhost"] },
  ]);
  assertEquals(ptrName("45.33.32.156"), "156.32.33.45.in-addr.arpa");
  assertEquals(
    ptrName("2001:db8::1"),
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
  );
});

Deno.test("SystemResolver: hosts file first, then DNS (IPv4 before IPv6), PTR cached", async () => {
  const hosts = Deno.makeTempFileSync();
  Deno.writeTextFileSync(hosts, "127.0.0.1 localhost\n::1 localhost\n10.0.0.9 box.lan box\n");
  const queries: string[] = [];
  const r = new SystemResolver({
    hostsFile: hosts,
    resolveDns: (q, type) => {
      queries.push(`${type} ${q}`);
      if (q === "scanme.example" && type === "A") return Promise.resolve(["45.33.32.156"]);
      if (q === "scanme.example" && type === "AAAA") {
        return Promise.resolve(["2600:3c01:0:0:f03c:91ff:fe18:bb2f"]);
      }
      if (q === "156.32.33.45.in-addr.arpa") return Promise.resolve(["scanme.example."]);
      return Promise.reject(new Error("NXDOMAIN"));
    },
  });
  try {
    assertEquals(await r.lookup("localhost"), ["127.0.0.1", "::1"]);
    assertEquals(await r.lookup("BOX"), ["10.0.0.9"]);
    assertEquals(await r.lookup("scanme.example"), [
      "45.33.32.156",
      "2600:3c01::f03c:91ff:fe18:bb2f",
    ]);
    assertEquals(await r.lookup("nxdomain.example"), []);
    assertEquals(await r.reverse("10.0.0.9"), "box.lan");
    assertEquals(await r.reverse("45.33.32.156"), "scanme.example");
    assertEquals(await r.reverse("45.33.32.156"), "scanme.example");
    assertEquals(await r.reverse("192.0.2.1"), undefined);
    assertEquals(await r.reverse("127.0.0.1"), "localhost");
    assertEquals(await r.reverse("127.0.0.2"), undefined); // loopback: hosts file only
    assertEquals(queries.filter((q) => q.startsWith("PTR")).length, 2); // cached
  } finally {
    Deno.removeSync(hosts);
  }
});
