import { assertEquals } from "../../tests/testing/assert.ts";
import { discoveryMethod } from "./plan.ts";
import type { DiscoveryOptions } from "../options/types.ts";

const none: DiscoveryOptions = {
  skip: false,
  pingOnly: false,
  synPorts: [],
  ackPorts: [],
  udpPorts: [],
  echo: false,
  timestamp: false,
  mask: false,
  arp: false,
  disableArp: false,
  explicit: false,
};
const routed4 = { family: 4 as const, loopback: false, onLinkEthernet: false };
const routed6 = { family: 6 as const, loopback: false, onLinkEthernet: false };
const lan4 = { family: 4 as const, loopback: false, onLinkEthernet: true };
const lo = { family: 4 as const, loopback: true, onLinkEthernet: false };

Deno.test("plan: nmap's default probes as root (v4 adds timestamp, v6 does not)", () => {
  assertEquals(discoveryMethod(none, routed4, true), {
    kind: "probe",
    raw: true,
    probes: [{ type: "echo" }, { type: "syn", port: 443 }, { type: "ack", port: 80 }, {
      type: "timestamp",
    }],
  });
  assertEquals(discoveryMethod(none, routed6, true), {
    kind: "probe",
    raw: true,
    probes: [{ type: "echo" }, { type: "syn", port: 443 }, { type: "ack", port: 80 }],
  });
});

Deno.test("plan: LAN targets get ARP/ND only, even with -Pn or -PE", () => {
  assertEquals(discoveryMethod(none, lan4, true), {
    kind: "probe",
    raw: true,
    probes: [{ type: "arp" }],
  });
  assertEquals(discoveryMethod({ ...none, skip: true }, lan4, true).kind, "probe");
  assertEquals(
    discoveryMethod({ ...none, echo: true, explicit: true }, { ...lan4, family: 6 }, true),
    { kind: "probe", raw: true, probes: [{ type: "nd" }] },
  );
  // --disable-arp-ping: the IP probes again.
  const d = discoveryMethod({ ...none, disableArp: true }, lan4, true);
  assertEquals(d.kind === "probe" && d.probes[0], { type: "echo" });
  // Unprivileged: no ARP possible.
  assertEquals(discoveryMethod(none, lan4, false).kind === "probe", true);
});

Deno.test("plan: -Pn, loopback, unprivileged, explicit probes", () => {
  assertEquals(discoveryMethod({ ...none, skip: true }, routed4, true), {
    kind: "assume",
    reason: "user-set",
  });
  assertEquals(discoveryMethod(none, lo, true), { kind: "assume", reason: "localhost-response" });
  assertEquals(discoveryMethod(none, lo, false), {
    kind: "probe",
    raw: false,
    probes: [{ type: "connect", port: 80 }, { type: "connect", port: 443 }],
  });
  assertEquals(discoveryMethod({ ...none, synPorts: [22], explicit: true }, routed4, false), {
    kind: "probe",
    raw: false,
    probes: [{ type: "connect", port: 22 }],
  });
  assertEquals(
    discoveryMethod(
      { ...none, explicit: true, timestamp: true, mask: true, udpPorts: [53], ackPorts: [1, 2] },
      routed6,
      true,
    ),
    {
      kind: "probe",
      raw: true,
      probes: [{ type: "ack", port: 1 }, { type: "ack", port: 2 }, { type: "udp", port: 53 }],
    },
  );
});

Deno.test("plan: -PO's protocols, alone or after the other probes; ARP still first on a LAN", () => {
  const po = { ...none, explicit: true, protocols: [1, 2, 4] };
  assertEquals(discoveryMethod(po, routed6, true), {
    kind: "probe",
    raw: true,
    probes: [1, 2, 4].map((protocol) => ({ type: "proto" as const, protocol })),
  });
  assertEquals(
    discoveryMethod({ ...po, echo: true, protocols: [47] }, routed4, true),
    { kind: "probe", raw: true, probes: [{ type: "echo" }, { type: "proto", protocol: 47 }] },
  );
  assertEquals(discoveryMethod(po, lan4, true), {
    kind: "probe",
    raw: true,
    probes: [{ type: "arp" }],
  });
});
