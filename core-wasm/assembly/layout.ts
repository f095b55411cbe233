// Fixed layout of one parse result record (and of a build spec, which is a record plus an
// extension). Mirrored by core-wasm/_layout.ts; core-wasm/layout_test.ts checks the two agree
// through the exported constants below.
//
// Numbers are stored little-endian (host order) so the TypeScript side reads them through
// typed arrays; IPv4 addresses are numbers whose big-endian form is the address
// (10.0.0.1 = 0x0a000001). IPv6 addresses and MAC addresses are raw network-order bytes.

export const REC_SIZE: u32 = 256;

export const REC_STATUS: u32 = 0; // u16 ParseError
export const REC_KIND: u32 = 2; // u8 Kind
export const REC_FAMILY: u32 = 3; // u8 4 | 6 | 0
export const REC_TTL: u32 = 4; // u8 TTL or hop limit
export const REC_TCP_FLAGS: u32 = 5; // u8 CWR ECE URG ACK PSH RST SYN FIN
export const REC_ICMP_TYPE: u32 = 6; // u8
export const REC_ICMP_CODE: u32 = 7; // u8
export const REC_SRC_PORT: u32 = 8; // u16
export const REC_DST_PORT: u32 = 10; // u16
export const REC_SEQ: u32 = 12; // u32
export const REC_ACK: u32 = 16; // u32
export const REC_WINDOW: u32 = 20; // u16
export const REC_IP_ID: u32 = 22; // u16
export const REC_SRC_V4: u32 = 24; // u32
export const REC_DST_V4: u32 = 28; // u32
export const REC_SRC_V6: u32 = 32; // 16 bytes
export const REC_DST_V6: u32 = 48; // 16 bytes
export const REC_MSS: u32 = 64; // u16
export const REC_WSCALE: u32 = 66; // u8
export const REC_OPT_FLAGS: u32 = 67; // u8 OPT_* bits
export const REC_TSVAL: u32 = 68; // u32
export const REC_TSECR: u32 = 72; // u32
export const REC_URGENT: u32 = 76; // u16
export const REC_TCP_OPT_OFF: u32 = 78; // u16 offset of the TCP options in the frame
export const REC_TCP_OPT_LEN: u32 = 80; // u8
export const REC_QUOTED_PROTO: u32 = 81; // u8
export const REC_IP_PROTO: u32 = 82; // u8 transport protocol / last next-header
export const REC_TOS: u32 = 83; // u8 TOS / traffic class
export const REC_ICMP_ID: u32 = 84; // u16
export const REC_ICMP_SEQ: u32 = 86; // u16
export const REC_QUOTED_SRC_V4: u32 = 88; // u32
export const REC_QUOTED_DST_V4: u32 = 92; // u32
export const REC_QUOTED_SRC_V6: u32 = 96; // 16 bytes
export const REC_QUOTED_DST_V6: u32 = 112; // 16 bytes
export const REC_QUOTED_SRC_PORT: u32 = 128; // u16
export const REC_QUOTED_DST_PORT: u32 = 130; // u16
export const REC_QUOTED_SEQ: u32 = 132; // u32 TCP seq / SCTP verification tag
export const REC_QUOTED_ICMP_ID: u32 = 136; // u16
export const REC_QUOTED_ICMP_SEQ: u32 = 138; // u16
export const REC_PAYLOAD_OFF: u32 = 140; // u32 offset in the frame
export const REC_PAYLOAD_LEN: u32 = 144; // u32
export const REC_ARP_OP: u32 = 148; // u16
export const REC_ARP_SENDER_MAC: u32 = 150; // 6 bytes
export const REC_ARP_TARGET_MAC: u32 = 156; // 6 bytes
export const REC_VLAN: u32 = 162; // u16 TCI of the outer 802.1Q tag (FLAG_VLAN)
export const REC_ARP_SENDER_IP: u32 = 164; // u32
export const REC_ARP_TARGET_IP: u32 = 168; // u32
export const REC_TS_SEC: u32 = 172; // u32 copied from the batch index
export const REC_TS_USEC: u32 = 176; // u32
export const REC_ICMP_EXTRA: u32 = 180; // u32 ICMP bytes 4..8 (MTU, mask, pointer, gateway)
export const REC_NDP_LL_ADDR: u32 = 184; // 6 bytes source/target link-layer address option
export const REC_NDP_FLAGS: u32 = 190; // u8 NA flags byte (R 0x80, S 0x40, O 0x20)
export const REC_QUOTED_TTL: u32 = 191; // u8
export const REC_NDP_TARGET: u32 = 192; // 16 bytes
export const REC_ICMP_TS_ORIG: u32 = 208; // u32
export const REC_ICMP_TS_RECV: u32 = 212; // u32
export const REC_ICMP_TS_XMIT: u32 = 216; // u32
export const REC_FLOW_LABEL: u32 = 220; // u32
export const REC_SRC_MAC: u32 = 224; // 6 bytes
export const REC_DST_MAC: u32 = 230; // 6 bytes
export const REC_ETHERTYPE: u32 = 236; // u16
export const REC_L3_OFF: u32 = 238; // u16 offset of the IP / ARP header in the frame
export const REC_L4_OFF: u32 = 240; // u16 offset of the transport header in the frame
export const REC_FRAG_OFF: u32 = 242; // u16 fragment offset in 8-byte units
export const REC_IP_LEN: u32 = 244; // u16 IPv4 total length / IPv6 payload length + 40
export const REC_QUOTED_IP_ID: u32 = 246; // u16
export const REC_PKT_TYPE: u32 = 248; // u8 Linux cooked capture packet type (0 host, 4 outgoing)
export const REC_FLAGS: u32 = 250; // u16 FLAG_* bits
export const REC_QUOTED_FLAGS: u32 = 252; // u16 reserved
// SCTP shares the TCP slots it has no use for (a record holds one transport).
export const REC_SCTP_CHUNK_TYPE: u32 = 5; // u8 first chunk's type (TCP flags slot)
export const REC_SCTP_VTAG: u32 = 12; // u32 verification tag (TCP seq slot)
export const REC_SCTP_INIT_TAG: u32 = 16; // u32 INIT / INIT ACK initiate tag (TCP ack slot)
export const REC_SCTP_CHUNK_LEN: u32 = 20; // u16 first chunk's length (TCP window slot)
export const REC_SCTP_CHUNK_FLAGS: u32 = 249; // u8 first chunk's flags

// Build spec = record fields + this extension (pointers are absolute wasm addresses).
export const SPEC_SIZE: u32 = 288;
export const SPEC_OPT_PTR: u32 = 256; // u32 raw TCP options
export const SPEC_OPT_LEN: u32 = 260; // u32
export const SPEC_PAYLOAD_PTR: u32 = 264; // u32 payload (UDP/TCP data, ICMP data or quote)
export const SPEC_PAYLOAD_LEN: u32 = 268; // u32
export const SPEC_IPOPT_PTR: u32 = 272; // u32 raw IPv4 options
export const SPEC_IPOPT_LEN: u32 = 276; // u32 (IPv6: raw extension chain)
export const SPEC_EXT_FIRST: u32 = 280; // u32 IPv6: type of the first extension header
export const SPEC_IPOPT_FIRST_HOP: u32 = 284; // u8 source route: first hop's offset in the options
export const SPEC_IPOPT_LAST_HOP: u32 = 285; // u8 … and the target's slot (0: none)

// REC_FLAGS bits.
export const FLAG_VLAN: u32 = 1;
export const FLAG_DF: u32 = 2;
export const FLAG_MF: u32 = 4;
export const FLAG_IP_OPTIONS: u32 = 8;
export const FLAG_V6_FRAGMENT: u32 = 16;
export const FLAG_CSUM_VERIFIED: u32 = 32;
export const FLAG_CSUM_PARTIAL: u32 = 64;
export const FLAG_NDP_LL: u32 = 128;
export const FLAG_QUOTE: u32 = 256;
export const FLAG_QUOTE_PORTS: u32 = 512;
export const FLAG_V6_EXT: u32 = 1024;
export const FLAG_BAD_CSUM: u32 = 2048; // build specs only: TCP/UDP/SCTP checksum one off (--badsum)
export const FLAG_ADLER32: u32 = 4096; // build specs only: SCTP checksum as Adler-32 (--adler32)

// REC_OPT_FLAGS bits (TCP options seen).
export const OPT_MSS: u32 = 1;
export const OPT_WSCALE: u32 = 2;
export const OPT_SACK_OK: u32 = 4;
export const OPT_TIMESTAMP: u32 = 8;
export const OPT_SACK: u32 = 16;
export const OPT_EOL: u32 = 32;

// Kind.
export const KIND_OTHER: u32 = 0;
export const KIND_TCP: u32 = 1;
export const KIND_UDP: u32 = 2;
export const KIND_ICMP4: u32 = 3;
export const KIND_ICMP6: u32 = 4;
export const KIND_ARP: u32 = 5;
export const KIND_NDP_NS: u32 = 6;
export const KIND_NDP_NA: u32 = 7;
export const KIND_SCTP: u32 = 8;
export const KIND_IGMP: u32 = 9;

// ParseError reason codes.
export const E_OK: u32 = 0;
export const E_BAD_INDEX: u32 = 1; // index entry points outside the data region
export const E_LINK_UNSUPPORTED: u32 = 2;
export const E_LINK_TRUNCATED: u32 = 3;
export const E_IP_TRUNCATED: u32 = 4;
export const E_IP_BAD_VERSION: u32 = 5;
export const E_IP_BAD_IHL: u32 = 6;
export const E_IP_BAD_LENGTH: u32 = 7;
export const E_IP_BAD_OPTIONS: u32 = 8;
export const E_IP_BAD_CHECKSUM: u32 = 9;
export const E_IP_FRAGMENT: u32 = 10;
export const E_IP6_BAD_EXT: u32 = 11;
export const E_IP6_EXT_LIMIT: u32 = 12;
export const E_TCP_TRUNCATED: u32 = 13;
export const E_TCP_BAD_OFFSET: u32 = 14;
export const E_TCP_BAD_OPTIONS: u32 = 15;
export const E_TCP_BAD_CHECKSUM: u32 = 16;
export const E_UDP_TRUNCATED: u32 = 17;
export const E_UDP_BAD_LENGTH: u32 = 18;
export const E_UDP_BAD_CHECKSUM: u32 = 19;
export const E_ICMP_TRUNCATED: u32 = 20;
export const E_ICMP_BAD_CHECKSUM: u32 = 21;
export const E_ICMP_BAD_QUOTE: u32 = 22;
export const E_ARP_TRUNCATED: u32 = 23;
export const E_ARP_UNSUPPORTED: u32 = 24;
export const E_NDP_TRUNCATED: u32 = 25;
export const E_NDP_BAD_OPTION: u32 = 26;
export const E_SCTP_TRUNCATED: u32 = 27;
export const E_SCTP_BAD_CHUNK: u32 = 28; // first chunk shorter than its header / fixed part, or overrunning
export const E_SCTP_BAD_CHECKSUM: u32 = 29;
export const E_COUNT: u32 = 30;

// Parse flags.
export const PARSE_VERIFY_CHECKSUMS: u32 = 1;

// Link types (pcap DLT / LINKTYPE numbers).
export const DLT_NULL: u32 = 0;
export const DLT_EN10MB: u32 = 1;
export const DLT_RAW: u32 = 12;
export const DLT_RAW_OPENBSD: u32 = 14;
export const LINKTYPE_RAW: u32 = 101;
export const DLT_LOOP: u32 = 108;
export const DLT_LINUX_SLL: u32 = 113;
export const LINKTYPE_IPV4: u32 = 228;
export const LINKTYPE_IPV6: u32 = 229;
export const DLT_LINUX_SLL2: u32 = 276;

// Batch index: 4 u32 per frame.
export const INDEX_STRIDE: u32 = 16;
