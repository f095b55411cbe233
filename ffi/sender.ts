/**
 * Picks the send path for a route, the way nmap decides between Ethernet
 * frames and raw IP: `--send-ip`, or a target that is this host (loopback
 * route), go through raw IP sockets (frames start at the IP header);
 * everything else through a batched packet socket on the interface (whose
 * frames start at the Ethernet header, or at the IP header on raw-IP links).
 *
 * @module
 */

import { type PacketSocketOptions, PacketSocketSender } from "./packet_socket.ts";
import { RawIpSender } from "./raw_socket.ts";

/** Either sender; `linkKind` says what frames must start with. */
export type FrameSender = PacketSocketSender | RawIpSender;

/** Where and how to send. */
export interface SenderChoice {
  /** The route's interface. */
  iface: string;
  /** nmap's --send-ip. */
  sendIp?: boolean;
  /** The target is one of this host's addresses (route via loopback). */
  local?: boolean;
  /** The interface is a loopback device. */
  loopback?: boolean;
  /** Packet-socket tuning. */
  packet?: PacketSocketOptions;
}

/** Opens the sender for a route (see module doc for the rule). */
export function openSender(choice: SenderChoice): FrameSender {
  if (choice.local || choice.loopback) {
    return RawIpSender.open({ batchSize: choice.packet?.batchSize });
  }
  if (choice.sendIp) {
    return RawIpSender.open({ device: choice.iface, batchSize: choice.packet?.batchSize });
  }
  return PacketSocketSender.open(choice.iface, choice.packet);
}
