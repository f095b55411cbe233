/**
 * nmap's timing state while the command line is read (NmapOps' fields and setters): -T
 * templates applied at once, explicit timing options applied after all are read (delayed.ts).
 *
 * @module
 */

import { fatal } from "../errors.ts";
import type { TimingOptions } from "./types.ts";

/** nmap's NmapOps timing state, with its setters' clamping rules. */
export class TimingState {
  template: TimingOptions["template"] = 3;
  minRtt = 100;
  maxRtt = 10000;
  initialRtt = 1000;
  maxRetries = 10;
  hostTimeout = 0;
  scanDelay = 0;
  maxTcpScanDelay = 1000;
  maxUdpScanDelay = 1000;
  minRate = 0;
  maxRate = 0;
  minParallelism = 0;
  maxParallelism = 0;
  minHostgroup = 1;
  maxHostgroup = 100000;

  setMaxRtt(v: number) {
    if (v <= 0) fatal("setMaxRttTimeout: maximum round trip time must be greater than 0");
    this.maxRtt = v;
    if (v < this.minRtt) this.minRtt = v;
    if (v < this.initialRtt) this.initialRtt = v;
  }
  setMinRtt(v: number) {
    if (v < 0) fatal("setMinRttTimeout: minimum round trip time must be at least 0");
    this.minRtt = v;
    if (v > this.maxRtt) this.maxRtt = v;
    if (v > this.initialRtt) this.initialRtt = v;
  }
  setInitialRtt(v: number) {
    if (v <= 0) fatal("setInitialRttTimeout: initial round trip time must be greater than 0");
    this.initialRtt = v;
    if (v > this.maxRtt) this.maxRtt = v;
    if (v < this.minRtt) this.minRtt = v;
  }

  /** -T: applied at once, on top of whatever is set, as nmap does. */
  applyTemplate(arg: string) {
    const a = arg.toLowerCase();
    const is = (n: string, word: string) => arg[0] === n || a === word;
    if (is("0", "paranoid")) {
      this.template = 0;
      this.maxParallelism = 1;
      this.scanDelay = 300000;
      this.setInitialRtt(300000);
    } else if (is("1", "sneaky")) {
      this.template = 1;
      this.maxParallelism = 1;
      this.scanDelay = 15000;
      this.setInitialRtt(15000);
    } else if (is("2", "polite")) {
      this.template = 2;
      this.maxParallelism = 1;
      this.scanDelay = 400;
    } else if (is("3", "normal")) {
      // nmap's defaults (NmapOps.cc); -T3 changes nothing, not even a previous -T.
    } else if (is("4", "aggressive")) {
      this.template = 4;
      this.setMinRtt(100);
      this.setMaxRtt(1250);
      this.setInitialRtt(500);
      this.maxTcpScanDelay = 10; // UDP's stays: ICMP rate limits make it unreliable
      this.maxRetries = 6;
    } else if (is("5", "insane")) {
      this.template = 5;
      this.setMinRtt(50);
      this.setMaxRtt(300);
      this.setInitialRtt(250);
      this.hostTimeout = 900000;
      this.maxTcpScanDelay = 5;
      this.maxRetries = 2;
    } else {
      fatal(
        `Unknown timing mode (-T argument).  Use either "Paranoid", "Sneaky", "Polite", "Normal", "Aggressive", "Insane" or a number from 0 (Paranoid) to 5 (Insane)`,
      );
    }
  }
}
