import { deepEqual, equal, match, throws } from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseOptions } from "./mod.ts";
import { parseProxyChain, parseProxyUrl } from "./proxies.ts";

Deno.test("proxies: nmap's URL syntax, default ports, any case, IPv6 in brackets, paths ignored", () => {
  deepEqual(parseProxyUrl("http://10.0.0.1:3128"), { kind: "http", host: "10.0.0.1", port: 3128 });
  deepEqual(parseProxyUrl("HTTP://proxy.lab/"), { kind: "http", host: "proxy.lab", port: 8080 });
  deepEqual(parseProxyUrl("socks4://10.0.0.1"), { kind: "socks4", host: "10.0.0.1", port: 1080 });
  deepEqual(parseProxyUrl("http://[fd00::1]:81"), { kind: "http", host: "fd00::1", port: 81 });
  deepEqual(parseProxyChain("socks4://a:1,http://b:2"), [
    { kind: "socks4", host: "a", port: 1 },
    { kind: "http", host: "b", port: 2 },
  ]);
});

Deno.test("proxies: bad URLs get one message naming the URL and why", () => {
  const bad: [string, RegExp][] = [
    ["ftp://h:21", /the protocol must be http:\/\/ or socks4:\/\//],
    ["socks5://h", /the protocol must be/],
    ["h:8080", /the protocol must be/],
    ["http://u:p@h:8080", /user:pass@ is not supported/],
    ["http://h:0", /bad port "0"/],
    ["http://h:65536", /bad port "65536"/],
    ["http://h:x", /bad port "x"/],
    ["http://", /no host/],
    ["http://fd00::1", /must be in brackets/],
    ["http://[fd00::1", /closing \]/],
    ["socks4://[fd00::1]:1080", /IPv4 addresses only/],
  ];
  for (const [url, why] of bad) {
    const e = (() => {
      try {
        parseProxyChain(`http://ok:1,${url}`);
      } catch (e) {
        return e as Error;
      }
      throw new Error(`${url} accepted`);
    })();
    equal(e instanceof UsageError, true);
    match(
      e.message,
      new RegExp(`^Invalid proxy chain specification "${url.replace(/[[\]]/g, "\\$&")}": `),
    );
    match(e.message, why);
    equal(e.message.includes("\n"), false);
  }
});

Deno.test("proxies: -sT by default, discovery skipped unless asked, raw scans warned, -6 refuses SOCKS4", () => {
  const o = parseOptions(["--proxies", "http://p:1", "t"]);
  deepEqual(o.scans, ["connect"]);
  equal(o.discovery.skip, true);
  equal(parseOptions(["--proxy", "http://p:1", "-PS22", "t"]).discovery.skip, false);
  const raw = parseOptions(["--proxies", "http://p:1", "-sS", "t"]);
  deepEqual(raw.scans, ["syn"]);
  match((raw.warnings ?? []).join("\n"), /--proxies relays connect-based work only/);
  throws(
    () => parseOptions(["-6", "--proxies", "socks4://p", "::1"]),
    /SOCKS4 proxies relay IPv4 only/,
  );
  equal(parseOptions(["-6", "--proxies", "http://[::1]:3128", "::1"]).proxies?.[0]?.host, "::1");
});
