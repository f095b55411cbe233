/**
 * The operating system's edge: libpcap capture (and its send path), batched
 * AF_PACKET sending, interfaces, routes, neighbours, raw-access checks and
 * nmap's --iflist. Nothing else in Porthole calls Deno.dlopen or reads /proc.
 *
 * Permissions: --allow-ffi covers all of it (Deno 2.9 wants --allow-all to
 * read /proc and /sys directly, so those files are read through libc). It
 * cannot be narrowed to libc and libpcap: Deno's pointer APIs
 * (UnsafePointer, UnsafePointerView, UnsafeCallback) need the unscoped grant.
 *
 * ```ts
 * import { Pcap, PacketSocketSender, routeTo, rawAccess } from "./ffi/mod.ts";
 * const access = rawAccess();
 * if (!access.ok) console.error(access.reason);
 * const route = routeTo("10.251.0.2");
 * using cap = Pcap.open(route!.iface.name, { filter: "arp or icmp" });
 * using tx = PacketSocketSender.open(route!.iface.name);
 * ```
 *
 * @module
 */

export {
  datalinkName,
  Dlt,
  findAllDevs,
  type LinkKind,
  linkLayerOf,
  Pcap,
  type PcapDevice,
  type PcapDeviceAddress,
  type PcapOptions,
  type PcapStats,
  PcapStatus,
} from "./pcap.ts";
export {
  MAX_SENDMMSG_BATCH,
  type PacketSocketOptions,
  PacketSocketSender,
  type SenderStats,
  type SendLinkKind,
} from "./packet_socket.ts";
export {
  createFrameBatch,
  frameAt,
  type FrameBatch,
  INDEX_STRIDE,
  packFrames,
} from "./frame_batch.ts";
export {
  type InterfaceAddress,
  interfaceByName,
  type InterfaceKind,
  interfaces,
  interfaceWithAddress,
  type NetInterface,
} from "./interfaces.ts";
export {
  type Route,
  type RouteInfo,
  type RouteOptions,
  routes,
  routeTo,
  sortRoutes,
} from "./routes.ts";
export { type Neighbour, neighbourMac } from "./neighbours.ts";
export { type Access, interfaceAccess, rawAccess } from "./access.ts";
export { formatIfList } from "./iflist.ts";
export { type RawIpOptions, RawIpSender } from "./raw_socket.ts";
export { type FrameSender, openSender, type SenderChoice } from "./sender.ts";
export { TunDevice } from "./tun.ts";
export { replyFilter, type ReplyFilterOptions } from "./filter.ts";
export { describeError, OsError, PcapError, PermissionMissingError } from "./errors.ts";
export { type DescriptorUse, descriptorUse } from "./limits.ts";
export { closeAll, openHandleCount, setOnInterrupt } from "./registry.ts";
export { libpcapPath, libpcapVersion, useLibpcap } from "./_libpcap.ts";
