/**
 * What one port's connections show about how the daemon serves them, so that
 * probes sent side by side give the answer of probes sent one at a time.
 *
 * A probe that stays silent while other connections to the port are open may
 * be silent only because of them: a daemon that serves one connection at a
 * time (net-snmp's SMUX blocks reading the first connection it accepts) leaves
 * the rest queued in the kernel, and a daemon whose listen backlog is short
 * gets the connections beyond it through SYN cookies, whose data waits for
 * room. Such silence is trusted only when the connection had the port to
 * itself, or when the port has shown that it serves connections side by side:
 * one got an answer while a connection opened before it was still held open
 * (a daemon serving in order could not have reached it yet) — unless a
 * connection took a SYN retransmission to open (or never opened in time) while
 * others to the port opened at once: the listen queue was full, and then any
 * connection beside others may have waited, side by side or not. (MIT kadmind
 * listens with a queue of 2 and blocks on a connection whose record is not
 * whole: beside a probe it blocks on, later connects wait a second or time out.)
 */

/** How much later than the answer the earlier connection must still be open (event-loop slack). */
export const PROOF_MARGIN_MS = 200;
/**
 * A connect this slow (not counting the time the scanner's own event loop stood still), to a
 * port that has also taken a connect in under {@link FAST_CONNECT_MS}, had its SYN sent again
 * (Linux waits 1 s): the listen queue was full.
 */
export const SLOW_CONNECT_MS = 900;
export const FAST_CONNECT_MS = 300;
/**
 * Connections that opened this close together reached the daemon's accept queue in an order
 * the scanner cannot tell: the first noticed may be served last.
 */
export const SAME_MOMENT_MS = 100;

/** A connection to the port, as far as the port's bookkeeping needs it. */
export interface PortConnection {
  /** Connections to the port that were open when this one connected. */
  readonly ahead: readonly PortConnection[];
  /** When the first byte, close or reset came (0: none yet). */
  readonly firstEventAt: number;
  /** When it ended (0: still open). */
  readonly endAt: number;
  /** Whether the daemon ended it (close or reset) rather than the scanner. */
  readonly closedByServer: boolean;
}

/** The connections of one port: which are open, which answered, what that proves. */
export class PortActivity<C extends PortConnection = PortConnection> {
  private readonly open = new Set<C>();
  private readonly all: C[] = [];
  private proven = false;
  /** A connect took a SYN retransmission: the port's listen queue overflowed. */
  overflowed = false;
  /**
   * A probe the daemon closed beside other connections was closed the same way alone: its
   * closes are its own, not a "busy" answer (iperf3 closes every connection but the one it
   * serves), and count as answers served side by side.
   */
  closesAlone = false;
  private slowSeen = false;
  private fastSeen = false;
  /** When each open connection opened. */
  private readonly openedAt = new Map<C, number>();
  /** Connections another opened with, at the same moment (SAME_MOMENT_MS), while still open. */
  private readonly openedWithOthers = new Set<C>();

  /** Notes a new connection (opened at `now`); returns the connections it queued behind. */
  opened(c: C, now = performance.now()): C[] {
    const ahead = [...this.open];
    for (const o of ahead) {
      if (now - (this.openedAt.get(o) ?? -Infinity) < SAME_MOMENT_MS) this.openedWithOthers.add(o);
    }
    this.open.add(c);
    this.openedAt.set(c, now);
    this.all.push(c);
    return ahead;
  }

  /**
   * Notes how long a connect took (`ms`; a connect that timed out: how long until it gave
   * up), `stalledMs` of it noticed late because the scanner's own event loop stood still
   * (loop_stalls.ts lateBy): that part is no SYN sent again. Slow beside fast ones, in either order: the queue overflowed.
   */
  connectTook(ms: number, stalledMs = 0): void {
    if (ms - stalledMs >= SLOW_CONNECT_MS) this.slowSeen = true;
    else if (ms < FAST_CONNECT_MS) this.fastSeen = true;
    this.overflowed ||= this.slowSeen && this.fastSeen;
  }

  /** Notes a connection's end (also one that never connected). */
  closed(c: C): void {
    this.open.delete(c);
    this.openedAt.delete(c);
  }

  /** Connections open now. */
  get openCount(): number {
    return this.open.size;
  }

  /** Whether any connection got a byte, a close or a reset. */
  get answered(): boolean {
    return this.all.some((c) => c.firstEventAt > 0);
  }

  /**
   * Whether the daemon has served a connection while one opened before it
   * stayed open at least {@link PROOF_MARGIN_MS} longer. Once true, stays true.
   * A connection the daemon closed serves as proof only once the port has closed a
   * probe alone too ({@link closesAlone}); one still open, only once it has stayed
   * open {@link PROOF_MARGIN_MS} past its answer (its close may be on its way).
   */
  servesSideBySide(now: number): boolean {
    if (this.proven) return true;
    this.proven = this.all.some((b) =>
      b.firstEventAt > 0 && this.answerCounts(b, now) &&
      b.ahead.some((a) => (a.endAt || now) >= b.firstEventAt + PROOF_MARGIN_MS)
    );
    return this.proven;
  }

  /** Whether `b`'s answer may prove the port serves side by side (see servesSideBySide). */
  answerCounts(b: C, now: number): boolean {
    if (b.endAt === 0) return now - b.firstEventAt >= PROOF_MARGIN_MS;
    return !b.closedByServer || this.closesAlone;
  }

  /** Whether other connections of the port were open as `c` opened, or opened with it. */
  hadCompany(c: C): boolean {
    return c.ahead.length > 0 || this.openedWithOthers.has(c);
  }

  /**
   * Whether a connection's silence may be the other connections' doing: it
   * queued behind open ones (or opened at the same moment as another, which the
   * daemon may have taken first), and the port has not shown it serves side by
   * side, or its listen queue overflowed. `neverConnected`: a connect that failed, beside
   * others (it had no chance to learn what was ahead of it).
   */
  silenceUnsure(c: C, now: number, neverConnected = false): boolean {
    return (c.ahead.length > 0 || this.openedWithOthers.has(c) || neverConnected) &&
      (this.overflowed || !this.servesSideBySide(now));
  }
}
