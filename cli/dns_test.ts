import { assertEquals, assertRejects } from "../tests/testing/assert.ts";
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

Deno.test("SystemResolver: forward lookups are getaddrinfo's, IPv4 first; no DNS client of our own", async () => {
  const queries: string[] = [];
  const asked: string[] = [];
  const r = new SystemResolver({
    resolveDns: (q, type) => {
      queries.push(`${type} ${q}`);
      return Promise.reject(new Error("NXDOMAIN"));
    },
    getaddrinfo: (name) => {
      asked.push(name);
      if (name === "scanme.example") {
        return Promise.resolve(["2600:3c01:0:0:f03c:91ff:fe18:bb2f", "45.33.32.156"]);
      }
      return Promise.reject(
        Object.assign(new Error("getaddrinfo EAI_AGAIN"), { code: "EAI_AGAIN" }),
      );
    },
  });
  assertEquals(await r.lookup("scanme.example"), [
    "45.33.32.156",
    "2600:3c01::f03c:91ff:fe18:bb2f",
  ]);
  assertEquals(await r.lookup("nosuchhost"), []);
  assertEquals(asked, ["scanme.example", "nosuchhost"]);
  assertEquals(queries, []); // an unknown name never waits on a DNS timeout of ours
  // Deno's permission refusal is not an unknown name.
  const denied = new SystemResolver({
    getaddrinfo: () =>
      Promise.reject(Object.assign(new Error("getaddrinfo EPERM"), { code: "EPERM" })),
  });
  await assertRejects(() => denied.lookup("scanme.example"), Error, "--allow-net");
  // The real path: getaddrinfo reads /etc/hosts, so localhost needs no DNS at all.
  const sys = await new SystemResolver().lookup("localhost");
  assertEquals(sys[0], "127.0.0.1");
});

Deno.test("SystemResolver: reverse lookups read the hosts file, then DNS; PTR cached", async () => {
  const hosts = Deno.makeTempFileSync();
  Deno.writeTextFileSync(hosts, "127.0.0.1 localhost\n::1 localhost\n10.0.0.9 box.lan box\n");
  const queries: string[] = [];
  const r = new SystemResolver({
    hostsFile: hosts,
    resolveDns: (q, type) => {
      queries.push(`${type} ${q}`);
      if (q === "156.32.33.45.in-addr.arpa") return Promise.resolve(["scanme.example."]);
      return Promise.reject(new Error("NXDOMAIN"));
    },
  });
  try {
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

Deno.test("SystemResolver: out of descriptors, a PTR query waits and asks again; no name is not made up", async () => {
  let calls = 0;
  const r = new SystemResolver({
    hostsFile: "/nonexistent",
    timeoutMs: 5000,
    resolveDns: () => {
      calls++;
      if (calls <= 2) {
        return Promise.reject(
          new Error("proto error: io error: Too many open files (os error 24)"),
        );
      }
      return Promise.resolve(["host.lab."]);
    },
  });
  assertEquals(await r.reverse("10.0.0.1"), "host.lab");
  assertEquals(calls, 3);
  // Any other failure is an answer: no name, asked once.
  let other = 0;
  const r2 = new SystemResolver({
    hostsFile: "/nonexistent",
    resolveDns: () => (other++, Promise.reject(new Error("NXDOMAIN"))),
  });
  assertEquals(await r2.reverse("10.0.0.2"), undefined);
  assertEquals(other, 1);
});
