import { assert, assertEquals } from "../../tests/testing/assert.ts";
import {
  PortActivity,
  type PortConnection,
  PROOF_MARGIN_MS,
  SAME_MOMENT_MS,
  SLOW_CONNECT_MS,
} from "./port_activity.ts";

/** A connection whose times the test sets. */
class Conn implements PortConnection {
  ahead: readonly PortConnection[] = [];
  firstEventAt = 0;
  endAt = 0;
  closedByServer = false;
}

function open(p: PortActivity<Conn>, at?: number): Conn {
  const c = new Conn();
  c.ahead = p.opened(c, at);
  return c;
}

Deno.test("port activity: a connection alone is sure of its silence", () => {
  const p = new PortActivity<Conn>();
  const a = open(p);
  assertEquals(a.ahead, []);
  assert(!p.silenceUnsure(a, 1000));
  a.endAt = 5000;
  p.closed(a);
  assertEquals(p.openCount, 0);
  assert(!p.silenceUnsure(open(p), 6000));
});

Deno.test("port activity: silence behind an open connection is unsure until the port serves side by side", () => {
  const p = new PortActivity<Conn>();
  const nul = open(p); // the NULL probe, silent
  const b = open(p);
  const c = open(p);
  assertEquals(c.ahead, [nul, b]);
  assert(p.silenceUnsure(b, 5000));
  assert(!p.answered);
  // A daemon serving in order answers c only once nul and b are gone: no proof.
  nul.endAt = 6000;
  b.endAt = 5500;
  c.firstEventAt = 6001;
  assert(p.answered);
  assert(p.silenceUnsure(b, 7000));
  // An answer while an earlier connection stays open: served side by side, and it stays so.
  const d = open(p);
  const e = open(p);
  e.firstEventAt = 7000;
  assert(p.silenceUnsure(b, 7000 + PROOF_MARGIN_MS - 1));
  assert(!p.silenceUnsure(b, 7000 + PROOF_MARGIN_MS));
  d.endAt = 7001;
  assert(!p.silenceUnsure(b, 8000));
});

Deno.test("port activity: a full listen queue makes silence beside others unsure again", () => {
  const p = new PortActivity<Conn>();
  const a = open(p, 0);
  const b = open(p, SAME_MOMENT_MS);
  b.firstEventAt = 200; // served while a stays open: side by side
  assert(!p.silenceUnsure(b, 1000));
  p.connectTook(SLOW_CONNECT_MS - 1);
  p.connectTook(1);
  assert(!p.overflowed);
  p.connectTook(SLOW_CONNECT_MS);
  assert(p.overflowed, "slow beside fast ones: its SYN was sent again");
  assert(p.silenceUnsure(b, 1000));
  assert(!p.silenceUnsure(a, 1000), "the first connection queued behind nothing");
});

Deno.test("port activity: slow connects alone say nothing; a fast one later shows the queue was full", () => {
  const p = new PortActivity<Conn>();
  p.connectTook(SLOW_CONNECT_MS + 10);
  p.connectTook(5000); // a connect that gave up: no SYN-ACK in 5 s
  assert(!p.overflowed, "every connect slow: the host or the path is slow, not the queue");
  p.connectTook(2); // kadmind's queue drained: the port takes connections at once
  assert(p.overflowed);
});

Deno.test("port activity: a connect slow only for the scanner's own stall is no full queue", () => {
  const p = new PortActivity<Conn>();
  p.connectTook(2);
  // Noticed 1.4 s late, 1.3 s of which the scanner's event loop stood still.
  p.connectTook(1400, 1300);
  assert(!p.overflowed);
  p.connectTook(1400, 400); // a SYN sent again, though the loop stalled a little too
  assert(p.overflowed);
});

Deno.test("port activity: connections opened at the same moment doubt each other's silence", () => {
  // kadmind's accept queue may hold RPCCheck behind GenericLines though RPCCheck's connect was
  // noticed first: RPCCheck, silent there, must go again alone.
  const p = new PortActivity<Conn>();
  const rpc = new Conn();
  rpc.ahead = p.opened(rpc, 1000);
  const lines = new Conn();
  lines.ahead = p.opened(lines, 1000);
  assertEquals(rpc.ahead, []);
  assert(p.silenceUnsure(rpc, 7000));
  // One opened later, once the first was alone a while, leaves it sure.
  const q = new PortActivity<Conn>();
  const first = new Conn();
  first.ahead = q.opened(first, 1000);
  const later = new Conn();
  later.ahead = q.opened(later, 1000 + SAME_MOMENT_MS);
  assert(!q.silenceUnsure(first, 7000));
  assert(q.silenceUnsure(later, 7000));
});

Deno.test("port activity: a close beside an open connection proves nothing until the port closes a probe alone too", () => {
  const p = new PortActivity<Conn>();
  const ctrl = open(p, 0); // iperf3's one client, held open
  const busy = open(p, 500);
  assert(p.hadCompany(busy));
  busy.firstEventAt = 510; // ACCESS_DENIED and a close
  busy.endAt = 510;
  busy.closedByServer = true;
  p.closed(busy);
  assert(!p.servesSideBySide(5000), "a busy close is no answer served side by side");
  assert(p.silenceUnsure(open(p, 5000), 5000));
  p.closesAlone = true; // the same probe, alone, was closed the same way
  assert(p.servesSideBySide(5000));
  assert(!p.hadCompany(ctrl));
});

Deno.test("port activity: an answer counts once its connection stayed open past it", () => {
  const p = new PortActivity<Conn>();
  open(p, 0);
  const b = open(p, 500);
  b.firstEventAt = 600; // data, the close perhaps on its way
  assert(!p.servesSideBySide(600 + PROOF_MARGIN_MS - 1));
  assert(p.servesSideBySide(600 + PROOF_MARGIN_MS));
});
