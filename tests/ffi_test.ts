/**
 * OS-edge integration tests in a two-namespace lab (tests/ffi_lab.ts):
 * crafted frames go out through both send paths (sendmmsg batches and
 * pcap_sendpacket), the lab kernel answers, and the capture side checks
 * every reply. Plus routes, neighbours, --iflist against nmap, raw-access
 * reasons, Ctrl-C cleanup, loopback and a raw-IP (tun) link.
 *
 * Needs root; skipped with a reason otherwise. Only addresses inside the
 * namespaces this test creates are ever sent to.
 */

import assert from "node:assert/strict";
import { createLab, DENO, type FfiLab, labUnavailable, run, waitForLine } from "./ffi_lab.ts";
import type { ProbeAnswer, ProbeRequest } from "./ffi_agent.ts";
import { ACK, fromHex, RST, summarize, SYN, toHex } from "./ffi_frames.ts";
import { replyFilter } from "../ffi/filter.ts";
import { LinkType, packetCore } from "../core-wasm/mod.ts";

// Probes are built by the packet core (as the scanner builds them) and the
// replies read by the small independent reader in ffi_frames.ts.
const core = packetCore();
type Ends = {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
};
const tcpFrame = (o: Ends) =>
  core.buildTcp({
    srcMac: o.srcMac,
    dstMac: o.dstMac,
    src: o.src,
    dst: o.dst,
    srcPort: o.sport,
    dstPort: o.dport,
  });
const udpFrame = (o: Ends) =>
  core.buildUdp({
    srcMac: o.srcMac,
    dstMac: o.dstMac,
    src: o.src,
    dst: o.dst,
    srcPort: o.sport,
    dstPort: o.dport,
  });
const ipSyn = (src: string, dst: string, sport: number, dport: number) =>
  core.buildTcp({ linkType: LinkType.RAW, src, dst, srcPort: sport, dstPort: dport });
const arpRequest = (senderMac: string, senderIp: string, targetIp: string) =>
  core.buildArpRequest({ senderMac, senderIp, targetIp });
const neighborSolicitation = (srcMac: string, src: string, target: string) =>
  core.buildNeighborSolicitation({ srcMac, src, target });

const AGENT = new URL("./ffi_agent.ts", import.meta.url).pathname;
const why = labUnavailable();

async function agent<T>(
  lab: FfiLab,
  cmd: string,
  req: unknown,
  perms = ["--allow-ffi"],
): Promise<T> {
  const r = await lab.deno(lab.scanner.ns, AGENT, [cmd, JSON.stringify(req)], perms);
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  let out: T & { error?: string };
  try {
    out = JSON.parse(line);
  } catch {
    throw new Error(`agent ${cmd} printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  if (out.error) throw new Error(`agent ${cmd}: ${out.error}`);
  return out;
}

function probe(
  lab: FfiLab,
  req: Omit<ProbeRequest, "iface"> & { iface?: string },
): Promise<ProbeAnswer> {
  return agent<ProbeAnswer>(lab, "probe", { iface: lab.scanner.iface, ...req });
}

Deno.test({
  name: why
    ? `ffi lab (skipped: ${why})`
    : "ffi lab: send paths, capture, filter, routes, neighbours, access",
  ignore: why !== undefined,
  async fn(t) {
    const lab = await createLab();
    try {
      const s = lab.scanner, h = lab.host;
      // A listener on the lab host (port 8080, IPv4 and IPv6); 8081 stays closed.
      const listener = lab.spawn(h.ns, [
        DENO,
        "eval",
        "const l = Deno.listen({ hostname: '::', port: 8080 }); console.log('listening'); for await (const c of l) c.close();",
      ]);
      await waitForLine(listener, "listening");
      const filter = replyFilter({
        localAddresses: [s.v4, s.v6],
        ports: { from: 40000, to: 40099 },
      });
      const syn = (src: string, dst: string, sport: number, dport: number) =>
        toHex(tcpFrame({ srcMac: s.mac, dstMac: h.mac, src, dst, sport, dport }));

      for (const via of ["mmsg", "pcap"] as const) {
        await t.step(
          `${via}: SYN → SYN-ACK (listener) and RST (closed), IPv4 and IPv6`,
          async () => {
            const base = via === "mmsg" ? 40000 : 40010;
            const a = await probe(lab, {
              filter,
              via,
              wasm: via === "pcap", // the pcap run uses WebAssembly.Memory views
              waitMs: 3000,
              maxReplies: 4,
              frames: [
                syn(s.v4, h.v4, base + 1, 8080),
                syn(s.v4, h.v4, base + 2, 8081),
                syn(s.v6, h.v6, base + 3, 8080),
                syn(s.v6, h.v6, base + 4, 8081),
              ],
            });
            assert.equal(a.sent, 4);
            assert.equal(a.datalink, 1);
            const got = a.replies.map((x) => summarize(fromHex(x)));
            const by = (port: number) => got.find((r) => r.dport === port);
            assert.equal(by(base + 1)?.tcpFlags, SYN | ACK, "SYN-ACK from the listener (v4)");
            assert.equal(by(base + 1)?.src, h.v4);
            assert.equal(by(base + 1)?.srcMac, h.mac);
            assert.equal(by(base + 2)?.tcpFlags, RST | ACK, "RST from the closed port (v4)");
            assert.equal(by(base + 3)?.tcpFlags, SYN | ACK, "SYN-ACK from the listener (v6)");
            assert.equal(by(base + 3)?.src, h.v6);
            assert.equal(by(base + 4)?.tcpFlags, RST | ACK, "RST from the closed port (v6)");
            // A busy machine may see the listener retransmit its SYN-ACK (the handshake is never
            // completed) in the batch that brought the fourth reply: counted, not kept.
            assert.ok(a.stats.received >= a.replies.length, `${a.stats.received} received`);
            assert.equal(a.stats.dropped, 0);
          },
        );
      }

      await t.step("UDP to a closed port → ICMP / ICMPv6 port unreachable", async () => {
        const frame = (src: string, dst: string, sport: number) =>
          toHex(udpFrame({ srcMac: s.mac, dstMac: h.mac, src, dst, sport, dport: 9 }));
        const a = await probe(lab, {
          filter,
          via: "mmsg",
          waitMs: 3000,
          maxReplies: 2,
          frames: [frame(s.v4, h.v4, 40020), frame(s.v6, h.v6, 40021)],
        });
        const got = a.replies.map((x) => summarize(fromHex(x)));
        assert.ok(
          got.some((r) => r.proto === 1 && r.icmpType === 3 && r.icmpCode === 3 && r.src === h.v4),
        );
        assert.ok(
          got.some((r) => r.proto === 58 && r.icmpType === 1 && r.icmpCode === 4 && r.src === h.v6),
        );
      });

      await t.step("ARP who-has → reply; neighbour solicitation → advertisement", async () => {
        const a = await probe(lab, {
          filter: replyFilter({
            localAddresses: [s.v4, s.v6],
            arp: true,
            ndp: true,
            ports: { from: 40000, to: 40099 },
          }),
          via: "mmsg",
          waitMs: 3000,
          maxReplies: 2,
          frames: [
            toHex(arpRequest(s.mac, s.v4, h.v4)),
            toHex(neighborSolicitation(s.mac, s.v6, h.v6)),
          ],
        });
        const got = a.replies.map((x) => summarize(fromHex(x)));
        const arp = got.find((r) => r.ethertype === 0x0806);
        assert.equal(arp?.arpOp, 2);
        assert.equal(arp?.arpSenderIp, h.v4);
        assert.equal(arp?.arpSenderMac, h.mac);
        const na = got.find((r) => r.icmpType === 136);
        assert.equal(na?.src, h.v6);
        assert.equal(na?.ndTargetMac, h.mac);
      });

      await t.step(
        "the BPF filter keeps foreign traffic out; stats count what passed",
        async () => {
          const frames = [
            syn(s.v4, h.v4, 40030, 8081), // RST to 40030: ours
            ...[50000, 50001, 50002, 50003].map((p) => syn(s.v4, h.v4, p, 8081)), // RSTs to foreign ports
            toHex(arpRequest(s.mac, s.v4, h.v4)), // ARP reply: not asked for
          ];
          const filtered = await probe(lab, { filter, via: "mmsg", waitMs: 1500, frames });
          const got = filtered.replies.map((x) => summarize(fromHex(x)));
          assert.deepEqual(got.map((r) => [r.dport, r.tcpFlags]), [[40030, RST | ACK]]);
          assert.equal(filtered.stats.received, 1);
          assert.equal(filtered.stats.dropped, 0);
          // The same exchange unfiltered shows the foreign replies were there.
          const open = await probe(lab, {
            filter: "tcp or arp",
            via: "mmsg",
            waitMs: 1500,
            frames,
          });
          const all = open.replies.map((x) => summarize(fromHex(x)));
          for (const p of [50000, 50001, 50002, 50003]) {
            assert.ok(
              all.some((r) => r.dport === p && r.tcpFlags === (RST | ACK)),
              `RST to ${p} seen unfiltered`,
            );
          }
          assert.ok(all.some((r) => r.arpOp === 2));
          assert.ok(open.stats.received >= 6);
        },
      );

      await t.step(
        'cooked links: capture on "any" as LINUX_SLL, and as LINUX_SLL2 on request',
        async () => {
          for (const [dlt, header] of [[undefined, 16], [276, 20]] as const) {
            const sport = dlt ? 40061 : 40060;
            const a = await probe(lab, {
              iface: "any",
              sendIface: s.iface,
              datalink: dlt,
              filter: `tcp and dst port ${sport}`,
              via: "mmsg",
              waitMs: 2000,
              maxReplies: 1,
              frames: [syn(s.v4, h.v4, sport, 8081)],
            });
            assert.equal(a.datalink, dlt ?? 113);
            assert.ok(
              a.datalinks.includes(113) && a.datalinks.includes(276),
              `any offers SLL and SLL2: ${a.datalinks}`,
            );
            const r = summarize(fromHex(a.replies[0]!).subarray(header), "raw");
            assert.equal(r.tcpFlags, RST | ACK);
            assert.equal(r.src, h.v4);
          }
        },
      );

      await t.step(
        "this host (loopback): raw IP sockets out, Ethernet-framed capture on lo",
        async () => {
          // Frames injected on lo with a local source are martians to Linux, so
          // packets to ourselves go through raw IP sockets (as nmap's do).
          const pkt = (src: string, sport: number) => toHex(ipSyn(src, src, sport, 8081));
          const a = await probe(lab, {
            iface: "lo",
            filter: "tcp and src port 8081",
            via: "rawip",
            waitMs: 2000,
            maxReplies: 3,
            frames: [pkt("127.0.0.1", 40040), pkt("::1", 40041), pkt(s.v4, 40042)],
          });
          assert.equal(a.sent, 3);
          assert.equal(a.datalink, 1, "Linux lo is DLT_EN10MB");
          const got = a.replies.map((x) => summarize(fromHex(x)));
          for (
            const [port, src] of [[40040, "127.0.0.1"], [40041, "::1"], [40042, s.v4]] as const
          ) {
            const r = got.find((x) => x.dport === port);
            assert.equal(r?.tcpFlags, RST | ACK, `RST to ${port}`);
            assert.equal(r?.src, src);
            assert.equal(r?.srcMac, "00:00:00:00:00:00");
          }
        },
      );

      await t.step("raw-IP link (tun): frames start at the IP header, DLT_RAW", async () => {
        const peer = "10.251.2.2", me = "10.251.2.1";
        const out = ipSyn(me, peer, 40050, 80);
        const inbound = ipSyn(peer, me, 40051, 8081);
        const a = await agent<{
          linkKind: string;
          datalink: number;
          fromTun: string[];
          captured: string[];
          route: { iface: string; linkKind: string; source: string };
        }>(lab, "tun", {
          name: `pht${lab.tag}`,
          address: `${me}/24`,
          peer,
          send: [toHex(out)],
          inject: [toHex(inbound)],
          waitMs: 1000,
        }, ["--allow-ffi", "--allow-run=ip"]);
        assert.equal(a.linkKind, "raw");
        assert.ok(a.datalink === 12 || a.datalink === 101, `DLT_RAW, got ${a.datalink}`);
        assert.deepEqual(a.route, { iface: `pht${lab.tag}`, linkKind: "raw", source: me });
        assert.equal(a.fromTun[0], toHex(out), "the packet socket sent exactly the IP packet");
        const rst = a.fromTun.map((x) => summarize(fromHex(x), "raw")).find((r) =>
          r.dport === 40051
        );
        assert.equal(rst?.tcpFlags, RST | ACK, "the kernel answered the injected SYN");
        const cap = a.captured.map((x) => summarize(fromHex(x), "raw"));
        assert.ok(
          cap.some((r) => r.dport === 8081 && r.tcpFlags === SYN),
          "capture saw the inbound SYN",
        );
        assert.ok(
          cap.some((r) => r.dport === 40051 && r.tcpFlags === (RST | ACK)),
          "capture saw the RST",
        );
      });

      await t.step("routes (kernel = table rule), neighbour table, --iflist = nmap", async () => {
        // Let the kernels talk once so the neighbour tables know each other.
        const conn = await lab.exec(s.ns, [
          DENO,
          "eval",
          `for (const h of ["${h.v4}", "${h.v6}"]) (await Deno.connect({ hostname: h, port: 8080 })).close();`,
        ]);
        assert.equal(conn.code, 0, conn.stderr);
        const net = await agent<{
          routes: Record<
            string,
            { kernel: Record<string, unknown> | null; table: Record<string, unknown> | null }
          >;
          neighbours: Array<string | null>;
          iflist: string;
          interfaces: Array<
            { name: string; kind: string; mac: string | null; up: boolean; addresses: string[] }
          >;
        }>(lab, "net", {
          targets: [h.v4, h.v6, s.v4, "127.0.0.1", "::1", "192.0.2.99"],
          neighbours: [[h.v4, s.iface], [h.v6, s.iface], ["10.251.0.77", s.iface], [
            "127.0.0.1",
            "lo",
          ]],
        });
        const direct = {
          iface: s.iface,
          linkKind: "ethernet",
          gateway: null,
          direct: true,
          local: false,
        };
        assert.deepEqual(net.routes[h.v4]!.kernel, { ...direct, source: s.v4, nextHop: h.v4 });
        assert.deepEqual(net.routes[h.v6]!.kernel, { ...direct, source: s.v6, nextHop: h.v6 });
        assert.equal(net.routes[s.v4]!.kernel?.iface, "lo");
        assert.equal(net.routes[s.v4]!.kernel?.local, true);
        assert.equal(net.routes["127.0.0.1"]!.kernel?.iface, "lo");
        assert.equal(net.routes["::1"]!.kernel?.iface, "lo");
        assert.equal(net.routes["192.0.2.99"]!.kernel, null, "no default route in the lab");
        for (const [target, r] of Object.entries(net.routes)) {
          assert.deepEqual(r.table, r.kernel, `table rule agrees with the kernel for ${target}`);
        }
        assert.deepEqual(net.neighbours, [h.mac, h.mac, null, "00:00:00:00:00:00"]);
        const me = net.interfaces.find((i) => i.name === s.iface)!;
        assert.equal(me.kind, "ethernet");
        assert.equal(me.mac, s.mac);
        assert.ok(me.addresses.includes(`${s.v4}/24`) && me.addresses.includes(`${s.v6}/64`));
        const nmap = await lab.exec(s.ns, ["nmap", "--iflist"]);
        assert.equal(nmap.code, 0, nmap.stderr);
        assert.equal(net.iflist, nmap.stdout.split("\n").slice(1).join("\n"));
      });

      await t.step(
        "next hop: neighbour table, then ARP / NDP on the wire, retries, timeout",
        async () => {
          const nh = (request: Record<string, unknown>, options: Record<string, unknown> = {}) =>
            agent<{ result: { mac: string | null; via: string; requests: number } | null }>(
              lab,
              "nexthop",
              {
                request: {
                  iface: s.iface,
                  linkKind: "ethernet",
                  srcMac: s.mac,
                  source: s.v4,
                  ...request,
                },
                options,
              },
            );
          assert.equal((await lab.exec(s.ns, ["ip", "neigh", "flush", "dev", s.iface])).code, 0);
          assert.deepEqual((await nh({ nextHop: h.v4 })).result, {
            mac: h.mac,
            via: "arp",
            requests: 1,
          });
          assert.deepEqual(
            (await nh({ nextHop: h.v6, source: s.v6 }, { skipNeighbourTable: true })).result,
            { mac: h.mac, via: "ndp", requests: 1 },
          );
          // The kernel's table answers without a request once it knows the host.
          await lab.exec(s.ns, [
            "ip",
            "neigh",
            "replace",
            h.v4,
            "lladdr",
            h.mac,
            "dev",
            s.iface,
            "nud",
            "reachable",
          ]);
          assert.deepEqual((await nh({ nextHop: h.v4 })).result, {
            mac: h.mac,
            via: "neighbour-table",
            requests: 0,
          });
          // Nobody there: null after every try.
          assert.equal(
            (await nh({ nextHop: "10.251.0.77" }, { tries: 2, timeoutMs: 150 })).result,
            null,
          );
          assert.deepEqual((await nh({ nextHop: "127.0.0.1", loopback: true })).result, {
            mac: "00:00:00:00:00:00",
            via: "loopback",
            requests: 0,
          });
          assert.deepEqual((await nh({ nextHop: h.v4 }, { sendIp: true })).result, {
            mac: null,
            via: "not-needed",
            requests: 0,
          });
        },
      );

      await t.step(
        "access: reasons for missing FFI permission, libpcap, privileges, a down link",
        async () => {
          const ok = await agent<{ raw: { ok: boolean } }>(lab, "access", {});
          assert.deepEqual(ok.raw, { ok: true });
          const noFfi = await agent<{ raw: { ok: boolean; reason: string } }>(
            lab,
            "access",
            {},
            [],
          );
          assert.equal(noFfi.raw.ok, false);
          assert.match(noFfi.raw.reason, /--allow-ffi/);
          // --libpcap naming nothing: a PcapError naming the file and the fix.
          const noLib = await agent<
            { raw: { ok: boolean; reason: string }; openIsPcapError: boolean }
          >(
            lab,
            "access",
            { iface: s.iface, libpcap: "/nonexistent/libpcap.so" },
          );
          assert.equal(noLib.raw.ok, false);
          assert.match(noLib.raw.reason, /\/nonexistent\/libpcap\.so.*libpcap0\.8.*--libpcap/);
          assert.equal(noLib.openIsPcapError, true);
          // A link that is down: a tun nobody holds.
          const down = `phd${lab.tag}`;
          assert.equal(
            (await lab.exec(s.ns, ["ip", "tuntap", "add", "mode", "tun", "name", down])).code,
            0,
          );
          const d = await agent<{ iface: { ok: boolean; reason: string }; open: string }>(
            lab,
            "access",
            { iface: down },
          );
          assert.equal(d.iface.ok, false);
          assert.match(d.iface.reason, new RegExp(`${down} is down.*ip link set ${down} up`));
          assert.match(d.open, /not up/);
        },
      );

      await t.step("an unprivileged user gets the root/CAP_NET_RAW reason", async () => {
        const dir = await Deno.makeTempDir({ prefix: "ph-ffi-" });
        try {
          await Deno.chmod(dir, 0o777);
          const r = await lab.exec(s.ns, [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "env",
            `DENO_DIR=${dir}`,
            `HOME=${dir}`,
            DENO,
            "run",
            "--quiet",
            "--allow-ffi",
            AGENT,
            "access",
            JSON.stringify({ iface: s.iface }),
          ]);
          const a = JSON.parse(r.stdout);
          assert.equal(a.raw.ok, false);
          assert.match(a.raw.reason, /root or CAP_NET_RAW.*setcap cap_net_raw,cap_net_admin\+eip/);
          assert.equal(a.openIsPcapError, true);
          assert.match(a.open, /permission/i);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });

      await t.step("Ctrl-C closes the capture (promiscuous mode is undone)", async () => {
        const promiscuity = async () =>
          JSON.parse((await lab.exec(s.ns, ["ip", "-d", "-j", "link", "show", s.iface])).stdout)[0]
            .promiscuity;
        assert.equal(await promiscuity(), 0);
        const child = lab.spawn(s.ns, [
          DENO,
          "run",
          "--quiet",
          "--allow-ffi",
          AGENT,
          "hold",
          JSON.stringify({ iface: s.iface }),
        ]);
        await waitForLine(child, "ready");
        assert.equal(await promiscuity(), 1);
        child.kill("SIGINT");
        const st = await child.status;
        assert.equal(st.code, 130);
        assert.equal(await promiscuity(), 0);
      });
    } finally {
      await lab.close();
    }
    const left = await run(["ip", "netns", "list"]);
    assert.ok(!left.stdout.includes(`ph-ffi-${lab.tag}`), "namespaces removed");
  },
});
