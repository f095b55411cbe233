/** Frames as a lab target sees them: tcpdump in its namespace while a scan runs. */

/**
 * tcpdump's lines for the frames matching `filter` that reach `ns`'s eth0 while `body` runs
 * (with -e, the link-level header, unless `link` is false; with -v when `verbose`: IP fields,
 * the addresses then on a line of their own). Bounded: tcpdump is stopped by its pid when `body`
 * ends. With `writeTo`, the frames go to that pcap file instead (see {@link readUdpDatagrams}).
 */
export async function captureIn(
  ns: string,
  filter: string,
  body: () => Promise<void>,
  verbose = false,
  link = true,
  writeTo?: string,
): Promise<string[]> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "tcpdump",
      ...(link ? ["-e"] : []),
      ...(verbose ? ["-v"] : []),
      "-n",
      "-l",
      "-U",
      "-Q",
      "in",
      "-i",
      "eth0",
      // Immediate mode: a short scan's frames must not wait in a ring-buffer block that tcpdump
      // is stopped before it hands over.
      ...(writeTo ? ["--immediate-mode", "-w", writeTo] : []),
      filter,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let stderr = "";
    const deadline = Date.now() + 20_000;
    while (!stderr.includes("listening on")) {
      const next = await Promise.race([
        reader.read(),
        new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, deadline - Date.now()))),
      ]);
      if (next === null) throw new Error("tcpdump: no 'listening on' in 20 s");
      if (next.done) throw new Error(`tcpdump did not start: ${stderr.trim()}`);
      stderr += next.value;
    }
    await body();
    await new Promise((r) => setTimeout(r, 300)); // the last frames in flight
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* exited */ }
    await child.status;
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })().catch(() => {});
  }
  return (await stdout).split("\n").filter((l) => l.trim() !== "");
}

/** One UDP datagram of a capture: where it went and what it carried. */
export interface UdpDatagram {
  dport: number;
  payload: Uint8Array;
}

/**
 * The IPv4 UDP datagrams of a pcap file of Ethernet frames (tcpdump -w on eth0), in capture order;
 * other frames, and fragments after the first, are skipped.
 */
export function readUdpDatagrams(pcap: Uint8Array): UdpDatagram[] {
  const v = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && v.getUint32(0, false) !== 0xa1b2c3d4 && v.getUint32(0, false) !== 0xa1b23c4d) {
    throw new Error("not a pcap file");
  }
  if (v.getUint32(20, le) !== 1) throw new Error("not Ethernet frames");
  const out: UdpDatagram[] = [];
  for (let at = 24; at + 16 <= pcap.length;) {
    const caplen = v.getUint32(at + 8, le);
    const f = pcap.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    if (f.length < 14 + 20 || f[12] !== 0x08 || f[13] !== 0x00) continue;
    const ip = f.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    const fragOffset = ((ip[6]! & 0x1f) << 8) | ip[7]!;
    if (ip[9] !== 17 || fragOffset !== 0 || ip.length < ihl + 8) continue;
    const udp = ip.subarray(ihl);
    const len = (udp[4]! << 8) | udp[5]!;
    out.push({ dport: (udp[2]! << 8) | udp[3]!, payload: udp.slice(8, Math.min(len, udp.length)) });
  }
  return out;
}
