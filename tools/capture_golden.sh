#!/usr/bin/env bash
# Records real frames from the Linux kernel for core-wasm's golden tests:
#   tests/data/core/golden_{en10mb,sll,sll2}.pcap  what tcpdump wrote on the client
#   tests/data/core/golden_frames.ts               the same frames as hex + tcpdump -v text,
#                                                  importable by tests with no permissions
#
# Three network namespaces of its own (ph-golden-a, -r, -b: client, router, server) joined by
# veth pairs created inside them; all traffic stays inside. They are deleted on exit, even on
# failure. The router's link to the server has MTU 1280 so it sends "fragmentation needed" /
# "packet too big"; TTL 1 probes make it send "time exceeded".
#
# Needs root, iproute2, tcpdump, nping (nmap) and the repo's deno. Usage: tools/capture_golden.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/tests/data/core"
DENO=${DENO:-$ROOT/node_modules/.bin/deno}
A=ph-golden-a
R=ph-golden-r
B=ph-golden-b

die() {
  echo "capture_golden.sh: $*" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, tcpdump)"
for tool in ip tcpdump nping timeout; do
  command -v "$tool" >/dev/null || die "$tool not found (tools/setup.sh installs it)"
done
[ -x "$DENO" ] || die "no deno at $DENO (run npm ci)"
for ns in $A $R $B; do
  ip netns list | grep -qw "$ns" && die "namespace $ns exists: another capture running? (ip netns del $ns)"
done

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in $A $R $B; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# --- topology -------------------------------------------------------------------------------
for ns in $A $R $B; do
  ip netns add "$ns"
  # No duplicate address detection or router solicitations: fewer, deterministic frames.
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
  in_ns "$ns" ip link set lo up
done
ip link add a0 netns $A address 02:00:00:99:01:01 type veth \
  peer name r0 netns $R address 02:00:00:99:01:fe
ip link add r1 netns $R address 02:00:00:99:02:fe mtu 1280 type veth \
  peer name b0 netns $B address 02:00:00:99:02:01 mtu 1280
in_ns $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
in_ns $A ip addr add 10.99.1.1/24 dev a0
in_ns $A ip -6 addr add fd99:1::1/64 dev a0 nodad
in_ns $R ip addr add 10.99.1.254/24 dev r0
in_ns $R ip -6 addr add fd99:1::fe/64 dev r0 nodad
in_ns $R ip addr add 10.99.2.254/24 dev r1
in_ns $R ip -6 addr add fd99:2::fe/64 dev r1 nodad
in_ns $B ip addr add 10.99.2.1/24 dev b0
in_ns $B ip -6 addr add fd99:2::1/64 dev b0 nodad
for dev in "$A a0" "$R r0" "$R r1" "$B b0"; do
  set -- $dev
  in_ns "$1" ip link set "$2" up
done
in_ns $A ip route add default via 10.99.1.254
in_ns $A ip -6 route add default via fd99:1::fe
in_ns $B ip route add default via 10.99.2.254
in_ns $B ip -6 route add default via fd99:2::fe
sleep 1 # links up, link-local addresses assigned

# --- capture --------------------------------------------------------------------------------
# Not the MLD reports the kernel sends on its own schedule.
FILTER='not (icmp6 and (ip6[40] == 143 or ip6[40] == 133))'
# `ip netns exec` execs tcpdump, so $! is tcpdump itself (signals reach it).
for cap in "a0 EN10MB en10mb" "any LINUX_SLL sll" "any LINUX_SLL2 sll2"; do
  set -- $cap
  ip netns exec $A tcpdump -q -Z root -i "$1" -y "$2" -U -s 0 -w "$TMP/golden_$3.pcap" \
    "$FILTER" 2>"$TMP/tcpdump_$3.log" &
  PIDS+=($!)
done
sleep 1.5 # tcpdump attached

# A server on B: port 8080 open (v4 and v6), everything else closed. Exits by itself.
timeout 30 ip netns exec $B "$DENO" eval '
  const stop = setTimeout(() => Deno.exit(0), 25000);
  const serve = async (l) => { for await (const c of l) { await c.write(new TextEncoder().encode("hi\n")); c.close(); } };
  serve(Deno.listen({ hostname: "::", port: 8080 })); // dual-stack: IPv4 too
  await new Promise((r) => setTimeout(r, 24000)); clearTimeout(stop);
' &
SERVER=$!
sleep 1

# The kernel's own TCP (SYN with options, SYN-ACK, data, FIN; SYN -> RST on a closed port),
# its ARP and neighbour discovery on first contact, and UDP to closed ports (port
# unreachable) plus large UDP (fragmentation needed / packet too big from the router).
timeout 20 ip netns exec $A "$DENO" eval --unstable-net '
  const pause = () => new Promise((r) => setTimeout(r, 200));
  for (const host of ["10.99.2.1", "fd99:2::1"]) {
    let c;
    for (let tries = 0; !c; tries++) { // the server may still be starting
      try { c = await Deno.connect({ hostname: host, port: 8080 }); }
      catch (e) { if (tries > 50) throw e; await new Promise((r) => setTimeout(r, 100)); }
    }
    const buf = new Uint8Array(16);
    await c.read(buf);
    c.close();
    await pause();
    try { (await Deno.connect({ hostname: host, port: 8081 })).close(); } catch { /* RST */ }
    await pause();
    const any = host.includes(":") ? "::" : "0.0.0.0";
    const u = Deno.listenDatagram({ transport: "udp", hostname: any, port: 0 });
    await u.send(new TextEncoder().encode("golden"), { transport: "udp", hostname: host, port: 9999 });
    await pause();
    // Over the router-to-server MTU of 1280, with DF (Linux sets it on UDP by default).
    await u.send(new Uint8Array(1300), { transport: "udp", hostname: host, port: 9998 });
    await pause();
    u.close();
  }
'

# Raw probes from nping: ICMP echo and timestamp, a SYN from a raw socket, TTL 1 (time
# exceeded from the router), and ICMPv6 echo.
NP=(timeout 10 ip netns exec $A nping -q -N -c 1 --delay 200ms)
"${NP[@]}" --send-ip --icmp 10.99.2.1 >/dev/null
"${NP[@]}" --send-ip --icmp --icmp-type time 10.99.2.1 >/dev/null
"${NP[@]}" --send-ip --tcp -p 8081 --flags syn --ttl 64 10.99.2.1 >/dev/null
"${NP[@]}" --send-ip --tcp -p 8080 --flags syn 10.99.2.1 >/dev/null
"${NP[@]}" --send-ip --udp -p 33434 --ttl 1 10.99.2.1 >/dev/null
"${NP[@]}" --send-ip --icmp --ttl 1 10.99.2.1 >/dev/null
# IPv6 header fields need nping's Ethernet mode, with the MACs given.
NP6=("${NP[@]}" -6 --send-eth --source-mac 02:00:00:99:01:01 --dest-mac 02:00:00:99:01:fe -S fd99:1::1)
"${NP6[@]}" --icmp fd99:2::1 >/dev/null
"${NP6[@]}" --udp -p 33434 --hop-limit 1 fd99:2::1 >/dev/null
"${NP6[@]}" --tcp -p 8080 --flags syn fd99:2::1 >/dev/null
sleep 1

kill "$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true
for pid in "${PIDS[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
PIDS=()

# --- convert --------------------------------------------------------------------------------
mkdir -p "$OUT"
cp "$TMP"/golden_*.pcap "$OUT/"
KERNEL=$(uname -r)
"$DENO" run --allow-read="$OUT" --allow-write="$OUT" --allow-run=tcpdump - "$OUT" "$KERNEL" <<'EOF'
// pcap (tcpdump -w: microsecond, either byte order) -> golden_frames.ts with hex and the
// `tcpdump -nn -v -e -tt -S` text of every frame, which the tests use as the independent oracle.
const [out, kernel] = Deno.args as [string, string];
const files = ["golden_en10mb.pcap", "golden_sll.pcap", "golden_sll2.pcap"];
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const captures = [];
for (const file of files) {
  const bytes = Deno.readFileSync(`${out}/${file}`);
  const dv = new DataView(bytes.buffer);
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4;
  if (!le && magic !== 0xd4c3b2a1) throw new Error(`${file}: not a microsecond pcap`);
  const linkType = dv.getUint32(20, le);
  const frames = [];
  for (let o = 24; o + 16 <= bytes.length;) {
    const tsSec = dv.getUint32(o, le), tsUsec = dv.getUint32(o + 4, le);
    const caplen = dv.getUint32(o + 8, le);
    frames.push({ tsSec, tsUsec, hex: hex(bytes.subarray(o + 16, o + 16 + caplen)) });
    o += 16 + caplen;
  }
  const { stdout } = new Deno.Command("tcpdump", {
    args: ["-r", `${out}/${file}`, "-nn", "-v", "-e", "-tt", "-S"],
    stderr: "null",
  }).outputSync();
  const text = new TextDecoder().decode(stdout);
  const packets: string[] = [];
  for (const line of text.split("\n")) {
    if (/^\d+\.\d{6} /.test(line)) packets.push(line);
    else if (line.trim() && packets.length) packets[packets.length - 1] += "\n" + line;
  }
  if (packets.length !== frames.length) {
    throw new Error(`${file}: ${frames.length} frames but ${packets.length} tcpdump packets`);
  }
  captures.push({
    file,
    linkType,
    frames: frames.map((f, i) => ({ ...f, tcpdump: packets[i] })),
  });
}
const body = `// Generated by tools/capture_golden.sh (Linux ${kernel}); do not edit.
// Frames the kernel sent and received in the script's namespaces, with tcpdump's reading.

/** One captured frame. */
export interface GoldenFrame {
  tsSec: number;
  tsUsec: number;
  hex: string;
  /** tcpdump -nn -v -e -tt -S output for this frame. */
  tcpdump: string;
}

/** One pcap file. */
export interface GoldenCapture {
  file: string;
  linkType: number;
  frames: GoldenFrame[];
}

export const captures: GoldenCapture[] = ${JSON.stringify(captures, null, 2)};
`;
Deno.writeTextFileSync(`${out}/golden_frames.ts`, body);
for (const c of captures) console.log(`${c.file}: link type ${c.linkType}, ${c.frames.length} frames`);
EOF
