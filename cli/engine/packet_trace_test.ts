import assert from "node:assert/strict";
import { connectOutcome, describeFrame } from "./packet_trace.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (h) => parseInt(h, 16));
const ETH = "02706800000a 027068000001"; // dst, src MACs

Deno.test("describeFrame: a SYN with MSS over Ethernet, in nmap's words", () => {
  const frame = hex(
    ETH + "0800" +
      "4500002c 94d6 0000 31 06 0000 0adc0001 0adc000a" + // IPv4, id 38102, ttl 49
      "04a8 0017 fbde7e1e 00000000 6002 0400 0000 0000 020405b4", // 1192 > 23, S, win 1024
  );
  assert.equal(
    describeFrame(frame, 1),
    "TCP 10.220.0.1:1192 > 10.220.0.10:23 S ttl=49 id=38102 iplen=44  seq=4225662494 win=1024 <mss 1460>",
  );
});

Deno.test("describeFrame: RST-ACK without options keeps nmap's trailing space", () => {
  const frame = hex(
    "45000028 0000 4000 40 06 0000 0adc000a 0adc0001" +
      "0017 04a8 00000000 fbde7e1f 5014 0000 0000 0000",
  );
  assert.equal(
    describeFrame(frame, 12),
    "TCP 10.220.0.10:23 > 10.220.0.1:1192 RA ttl=64 id=0 iplen=40  seq=0 win=0 ",
  );
});

Deno.test("describeFrame: UDP, ICMP port unreachable, ARP, IPv6 TCP and neighbour advertisement", () => {
  assert.equal(
    describeFrame(hex("4500001c 4063 0000 27 11 0000 0adc0001 0adc000d 6e84 0036 0008 0000"), 12),
    "UDP 10.220.0.1:28292 > 10.220.0.13:54 ttl=39 id=16483 iplen=28 ",
  );
  assert.equal(
    describeFrame(
      hex(
        "45000038 bd6a 0000 40 01 0000 0adc000d 0adc0001 0303 0000 00000000" +
          "4500001c 4063 0000 27 11 0000 0adc0001 0adc000d 6e84 0036 0008 0000",
      ),
      12,
    ),
    "ICMP [10.220.0.13 > 10.220.0.1 Port unreachable (type=3/code=3) ] IP [ttl=64 id=48490 iplen=56 ]",
  );
  assert.equal(
    describeFrame(
      hex(
        "ffffffffffff 027068000001 0806 0001 0800 06 04 0001 027068000001 0adc0001 000000000000 0adc000a",
      ),
      1,
    ),
    "ARP who-has 10.220.0.10 tell 10.220.0.1",
  );
  assert.equal(
    describeFrame(
      hex(ETH + "0806 0001 0800 06 04 0002 02706800000a 0adc000a 027068000001 0adc0001"),
      1,
    ),
    "ARP reply 10.220.0.10 is-at 02:70:68:00:00:0A",
  );
  const v6 = "fd0000dc000000000000000000000001";
  const v6t = "fd0000dc000000000000000000000010";
  assert.equal(
    describeFrame(
      hex(
        "60000000 0018 06 2a" + v6 + v6t +
          "6fe1 0016 9acf7e4c 00000000 6002 0400 0000 0000 020405b4",
      ),
      12,
    ),
    "TCP fd00:dc::1:28641 > fd00:dc::10:22 S hopl=42 flow=0 payloadlen=24 seq=2597289548 win=1024 <mss 1460>",
  );
  assert.equal(
    describeFrame(
      hex("6002e745 0020 3a ff" + v6t + v6 + "8800 0000 60000000" + v6t + "0201 02706800000a"),
      12,
    ),
    "neighbor advertisement fd00:dc::10 > fd00:dc::1 fd00:dc::10 is at 02:70:68:00:00:0a",
  );
  // Not IP, not ARP, or cut short: no line.
  assert.equal(describeFrame(hex(ETH + "88cc 0000"), 1), undefined);
  assert.equal(describeFrame(hex("4500"), 12), undefined);
});

Deno.test("connectOutcome: nmap's CONN results", () => {
  assert.equal(connectOutcome(undefined), "Connected");
  assert.equal(connectOutcome(new Deno.errors.ConnectionRefused("x")), "Connection refused");
  assert.equal(connectOutcome(new Error("connect failed (os error 113)")), "No route to host");
  assert.equal(
    connectOutcome(new Error("connect failed (os error 101)")),
    "Network is unreachable",
  );
});

Deno.test("describeFrame: unreachables name the quoted port and address as nmap's trace does", () => {
  const unreachable = (code: string, quoted: string) =>
    describeFrame(
      hex(`45000040 bd6a 0000 40 01 0000 0adc000d 0adc0001 03${code} 0000 00000000` + quoted),
      12,
    );
  // A quoted UDP probe with payload: nmap reads its destination port.
  const udp80 =
    "45000024 4063 0000 27 11 0000 0adc0001 0adc000d 6e84 0050 0010 0000 0102030405060708";
  assert.equal(
    unreachable("03", udp80),
    "ICMP [10.220.0.13 > 10.220.0.1 Port 80 unreachable (type=3/code=3) ] IP [ttl=64 id=48490 iplen=64 ]",
  );
  assert.equal(
    unreachable("01", udp80),
    "ICMP [10.220.0.13 > 10.220.0.1 Host 10.220.0.13 unreachable (type=3/code=1) ] IP [ttl=64 id=48490 iplen=64 ]",
  );
  assert.equal(
    unreachable("0d", udp80),
    "ICMP [10.220.0.13 > 10.220.0.1 Communication administratively prohibited by filtering (type=3/code=13) ] IP [ttl=64 id=48490 iplen=64 ]",
  );
  // Too short to hold the quoted header: the destination is not named.
  assert.equal(
    describeFrame(hex("4500001c bd6a 0000 40 01 0000 0adc000d 0adc0001 0301 0000 00000000"), 12),
    "ICMP [10.220.0.13 > 10.220.0.1 Destination unreachable (type=3/code=1) ] IP [ttl=64 id=48490 iplen=28 ]",
  );
});

Deno.test("describeFrame: nmap's SCTP INIT and the protocol unreachable quoting it", () => {
  const init = "45000034fa26000026849c1d7f0000017f000001" +
    "c7a600500000000038a19a8e010000140ca36bcf00008000000a0800cdc01975";
  assert.equal(
    describeFrame(hex(init), 12),
    "SCTP 127.0.0.1:51110 > 127.0.0.1:80 ttl=38 id=64038 iplen=52 ",
  );
  assert.equal(
    describeFrame(hex("45c0005028f20000400152f97f0000017f000001" + "0302791000000000" + init), 12),
    "ICMP [127.0.0.1 > 127.0.0.1 Protocol 132 unreachable (type=3/code=2) ] IP [ttl=64 id=10482 iplen=80 ]",
  );
});

Deno.test("describeFrame: -sO's bare probes named by nmap-protocols, as nmap's trace names them", () => {
  // nmap -sO -p 47 --packet-trace: "SENT (…) gre (47) 10.228.0.1 > 10.228.1.1: ttl=40 id=26069
  // iplen=20 " (raw IP link type 12).
  assert.equal(
    describeFrame(hex("4500001465d50000282f0000" + "0ae40001" + "0ae40101"), 12),
    "gre (47) 10.228.0.1 > 10.228.1.1: ttl=40 id=26069 iplen=20 ",
  );
});
