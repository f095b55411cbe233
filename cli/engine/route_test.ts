import { assert, assertEquals } from "./_assert.ts";
import { resolveRoute, RouteError } from "./route.ts";
import { RawSession } from "./raw_session.ts";
import { createFrameBatch, type FrameBatch } from "../../ffi/frame_batch.ts";

const root = Deno.uid?.() === 0;

Deno.test("route: 127.0.0.1 goes over loopback with zero MACs", () => {
  const r = resolveRoute("127.0.0.1");
  assertEquals(r.iface, "lo");
  assert(r.loopback);
  assertEquals(r.family, 4);
  assertEquals(r.source, "127.0.0.1");
  assertEquals(Array.from(r.dstMac!), [0, 0, 0, 0, 0, 0]);
  assertEquals(r.linkKind, "ethernet");
  assertEquals(r.onLink, false);
});

Deno.test("route: ::1 goes over loopback", () => {
  const r = resolveRoute("::1");
  assertEquals(r.iface, "lo");
  assertEquals(r.family, 6);
  assertEquals(r.source, "::1");
});

Deno.test("route: bad interface and family mismatch are one-line errors", () => {
  let err: unknown;
  try {
    resolveRoute("127.0.0.1", { iface: "nosuchif0" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof RouteError && /nosuchif0/.test(err.message));
  err = undefined;
  try {
    resolveRoute("127.0.0.1", { source: "::1" });
  } catch (e) {
    err = e;
  }
  assert(err instanceof RouteError);
});

Deno.test({
  name: "session: opens on lo, sends a frame, sees nothing addressed elsewhere, closes",
  ignore: !root,
  fn() {
    const fake = {
      frameBatch: (n: number, bytes: number) => createFrameBatch(n, bytes),
      parseBatch: (b: FrameBatch, n: number) => ({ b, n }),
    };
    const route = resolveRoute("127.0.0.1");
    const s = RawSession.open({ route, core: fake, filter: "dst host 127.0.0.254 and udp" });
    try {
      assertEquals(s.linkType, 1); // Ethernet framing on Linux loopback
      assertEquals(s.poll(() => {}), 0);
    } finally {
      s.close();
    }
    assert(s.closed);
    s.close(); // idempotent
  },
});
