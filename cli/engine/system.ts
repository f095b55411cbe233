/**
 * The operating system's edge as the application sees it: whether raw packets are to be had,
 * which libpcap to load, the interface list, and how an OS error is worded. The engine is the only
 * room that imports ffi/; everything above goes through here.
 *
 * @module
 */

export {
  describeError,
  formatIfList,
  rawAccess,
  setOnInterrupt,
  useLibpcap,
} from "../../ffi/mod.ts";
