import assert from "node:assert/strict";
import { hex, portResult } from "../../tests/testing/version_script_samples.ts";
import { snmpApplies, snmpEnterprise, snmpVersion } from "./snmp_version.ts";

/**
 * net-snmp 5.9's Report to the script's request in the real-daemons lab: engine ID 80001f88
 * 80… (enterprise 8072, net-snmp's own format), usmStatsUnknownEngineIDs.
 */
const NET_SNMP = hex(
  "306e020103300f02024a69020300ffe304010002010304223020041180001f88809d90af7f9548166b00000000" +
    "0201010202023b0400040004003034041180001f88809d90af7f9548166b000000000400a81d020237f00201" +
    "000201003011300f060a2b060106030f01010400410106",
);

Deno.test("snmp-info: the engine ID's enterprise, after the product the probes found", () => {
  assert.deepEqual(snmpEnterprise(NET_SNMP), { number: 8072, flagged: true });
  const v1 = { name: "snmp", method: "probed" as const, confidence: 10, product: "SNMPv1 server" };
  assert.deepEqual(snmpVersion(NET_SNMP, v1), {
    name: "snmp",
    product: "SNMPv1 server; net-snmp SNMPv3 server",
  });
  assert.equal(snmpVersion(NET_SNMP, undefined)!.product, "net-snmp SNMPv3 server");
  const v3 = { ...v1, product: "SNMPv3 server" };
  assert.equal(snmpVersion(NET_SNMP, v3)!.product, "net-snmp SNMPv3 server");
});

Deno.test("snmp-info: another message id, version or security model changes nothing", () => {
  const otherId = NET_SNMP.slice();
  otherId[10] = 0x6a; // msgID 0x4a6a
  assert.equal(snmpEnterprise(otherId), null);
  const v2 = NET_SNMP.slice();
  v2[4] = 1;
  assert.equal(snmpEnterprise(v2), null);
  const notUsm = NET_SNMP.slice();
  notUsm[21] = 2; // msgSecurityModel
  assert.equal(snmpEnterprise(notUsm), null);
  assert.equal(snmpEnterprise(NET_SNMP.subarray(0, 40)), null);
});

Deno.test("snmp-info: UDP 161 or a UDP port named snmp", () => {
  const port = (p: Parameters<typeof portResult>[2] = {}) => portResult("udp", 161, p);
  assert.equal(snmpApplies(port({}), 7), true);
  assert.equal(snmpApplies(port({ protocol: "tcp" }), 7), false);
  assert.equal(snmpApplies(port({ state: "closed" }), 7), false);
  assert.equal(snmpApplies(port({}), 5), false);
});
