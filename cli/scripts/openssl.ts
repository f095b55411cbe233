/**
 * nmap's `openssl` NSE module (nse_openssl.cc): digests, HMAC, random bytes, bignums and
 * ciphers. The Lua half (OPENSSL_LUA) keeps nmap's function names and a BIGNUM type with nmap's
 * methods; the JavaScript half does the arithmetic with BigInt and the cryptography with
 * node:crypto (and cast5.ts for the ciphers it lacks). Bytes cross as hex (wasmoon passes strings
 * as UTF-8).
 */
import { cast5, rc4 } from "./cast5.ts";

/** The Lua module; loaded with the host table of `opensslHost` functions as its argument. */
export const OPENSSL_LUA = String.raw`
local host = ...
local char, byte, format = string.char, string.byte, string.format
local function unhex(h) return (h:gsub("%x%x", function(c) return char(tonumber(c, 16)) end)) end
local function tohex(s) return (s:gsub(".", function(c) return format("%02x", byte(c)) end)) end
local M = {}
local DIGESTS = { "md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160" }
local function digest(alg, data) return unhex(host.digest(alg, tohex(data))) end
for _, a in ipairs(DIGESTS) do
  M[a] = function(data) return digest(a, data) end
end
function M.digest(alg, data) return digest(alg:lower(), data) end
function M.hmac(alg, key, data) return unhex(host.hmac(alg:lower(), tohex(key), tohex(data))) end
function M.rand_bytes(n) return unhex(host.rand(n)) end
M.rand_pseudo_bytes = M.rand_bytes
function M.supported_digests() return { table.unpack(DIGESTS) } end
function M.supported_ciphers() return host.ciphers() end

-- encrypt/decrypt(algorithm, key, iv, data, padding): nmap's EVP calls; padding off by default.
local function cipher(enc, alg, key, iv, data, padding)
  local r = host.cipher(enc, alg, tohex(key), iv and tohex(iv) or "", tohex(data), padding == true)
  if r.err then error(r.err, 3) end
  return unhex(r.out)
end
function M.encrypt(...) return cipher(true, ...) end
function M.decrypt(...) return cipher(false, ...) end

-- DES key from 7 bytes: each 7 bits followed by a zero parity bit (parity left unset, as nmap).
function M.DES_string_to_key(data)
  if #data ~= 7 then error("String must have length of 7 bytes.", 2) end
  local key = { byte(data, 1) & 0xfe }
  for i = 1, 7 do
    local prev, cur = byte(data, i), byte(data, i + 1) or 0
    key[i + 1] = ((prev << (8 - i)) | (cur >> i)) & 0xfe
  end
  return char(table.unpack(key))
end

-- A BIGNUM holds its value as hex digits, "-" in front when negative.
local BIGNUM = { __name = "BIGNUM" }
local methods = {}
BIGNUM.__index = methods
local function bn(v) return setmetatable({ v = v }, BIGNUM) end
local function check(x)
  if getmetatable(x) ~= BIGNUM then error("bad argument (BIGNUM expected, got " .. type(x) .. ")", 3) end
  return x.v
end
M.bignum_from_hex = bn -- for Porthole's certificate table
function M.bignum_bin2bn(s) return bn(#s > 0 and tohex(s) or "0") end
function M.bignum_hex2bn(s) return bn(host.bn("norm", s)) end
function M.bignum_dec2bn(s) return bn(host.bn("fromdec", s)) end
function M.bignum_rand(bits) return bn(host.bn("rand", tostring(bits))) end
M.bignum_pseudo_rand = M.bignum_rand
function M.bignum_num_bits(a) return math.tointeger(host.bn("bits", check(a))) end
function M.bignum_num_bytes(a) return (M.bignum_num_bits(a) + 7) // 8 end
function M.bignum_set_bit(a, n) a.v = host.bn("setbit", check(a), tostring(n)) end
function M.bignum_clear_bit(a, n) a.v = host.bn("clearbit", check(a), tostring(n)) end
function M.bignum_is_bit_set(a, n) return host.bn("isbit", check(a), tostring(n)) == "1" end
function M.bignum_set_negative(a, neg) a.v = host.bn(neg and "neg" or "abs", check(a)) end
function M.bignum_is_negative(a) return check(a):sub(1, 1) == "-" end
function M.bignum_is_prime(a) return host.bn("prime", check(a)) == "1" end
function M.bignum_is_safe_prime(a)
  local prime = M.bignum_is_prime(a)
  return prime and host.bn("safeprime", check(a)) == "1", prime
end
function M.bignum_bn2bin(a)
  local h = check(a):gsub("^%-", "")
  if h == "0" then return "" end
  if #h % 2 == 1 then h = "0" .. h end
  return unhex(h)
end
function M.bignum_bn2mpi(a) return unhex(host.bn("mpi", check(a))) end
function M.bignum_bn2dec(a) return host.bn("todec", check(a)) end
-- OpenSSL's BN_bn2hex: uppercase, whole bytes, "0" for zero.
function M.bignum_bn2hex(a)
  local v = check(a)
  local neg, h = v:match("^(%-?)(.*)$")
  if h == "0" then return "0" end
  if #h % 2 == 1 then h = "0" .. h end
  return neg .. h:upper()
end
function M.bignum_add(a, b) return bn(host.bn("add", check(a), check(b))) end
function M.bignum_mod_exp(a, p, m) return bn(host.bn("modexp", check(a), check(p), check(m))) end
function M.bignum_div(a, d)
  local q, r = host.bn("div", check(a), check(d)):match("^(.*),(.*)$")
  return bn(q), bn(r)
end
methods.num_bits = M.bignum_num_bits
methods.num_bytes = M.bignum_num_bytes
methods.tobin = M.bignum_bn2bin
methods.tompi = M.bignum_bn2mpi
methods.todec = M.bignum_bn2dec
methods.tohex = M.bignum_bn2hex
methods.is_bit_set = M.bignum_is_bit_set
methods.set_bit = M.bignum_set_bit
methods.clear_bit = M.bignum_clear_bit
methods.is_prime = M.bignum_is_prime
methods.is_safe_prime = M.bignum_is_safe_prime
return M
`;

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** "-1f" ⇄ -31n: the BIGNUM's text in the Lua half. */
const fromHex = (h: string) =>
  h.startsWith("-") ? -BigInt(`0x${h.slice(1) || "0"}`) : BigInt(`0x${h || "0"}`);
const toHex = (n: bigint) => (n < 0n ? `-${(-n).toString(16)}` : n.toString(16));

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  if (mod === 0n) throw new Error("division by zero");
  let r = 1n;
  base = ((base % mod) + mod) % mod;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) r = (r * base) % mod;
    base = (base * base) % mod;
  }
  return mod === 1n ? 0n : r;
}

/** OpenSSL's BN_bn2mpi: a 4-byte big-endian length, then the magnitude with a sign bit on top. */
function mpi(n: bigint): string {
  const neg = n < 0n;
  let h = (neg ? -n : n).toString(16);
  if (h === "0") return "00000000";
  if (h.length % 2) h = `0${h}`;
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = `00${h}`;
  if (neg) h = (parseInt(h.slice(0, 2), 16) | 0x80).toString(16).padStart(2, "0") + h.slice(2);
  return (h.length / 2).toString(16).padStart(8, "0") + h;
}

/** OpenSSL's other names of ciphers nselib asks for. */
const CIPHER_ALIASES: Record<string, string> = {
  des: "des-cbc",
  des3: "des-ede3-cbc",
  "des-ede3": "des-ede3-ecb",
  aes128: "aes-128-cbc",
  aes192: "aes-192-cbc",
  aes256: "aes-256-cbc",
  cast: "cast5-cbc",
  "cast-cbc": "cast5-cbc",
};

/** The ciphers Porthole adds to what node:crypto has (supported_ciphers lists them too). */
const OWN_CIPHERS = [
  "des-cbc",
  "des-ecb",
  "des-ede3-ecb",
  "aes-192-cbc",
  "cast5-cbc",
  "cast5-ecb",
  "rc4",
  "rc4-40",
];

/**
 * One block cipher, block by block, for the ciphers Deno's node:crypto lacks: DES is 3DES with
 * the key three times (EDE with one key is one encryption), each AES or 3DES block alone is ECB
 * (or CBC from a zero IV), and CAST5 is Porthole's own (cast5.ts).
 */
function blockCipher(crypto: typeof import("node:crypto"), family: string, key: Uint8Array) {
  if (family === "cast5") return cast5(key);
  let name: string;
  let k = key;
  let size: number;
  if (family === "des") {
    if (key.length !== 8) throw new Error("Invalid key length");
    name = "des-ede3-cbc";
    k = new Uint8Array([...key, ...key, ...key]);
    size = 8;
  } else if (family === "des-ede3") {
    name = "des-ede3-cbc";
    size = 8;
  } else if (/^aes-(128|192|256)$/.test(family)) {
    name = `${family}-ecb`;
    size = 16;
  } else throw new Error("Unknown cipher");
  const run = (enc: boolean, block: Uint8Array) => {
    const iv = name.endsWith("-cbc") ? new Uint8Array(size) : null;
    const c = enc ? crypto.createCipheriv(name, k, iv) : crypto.createDecipheriv(name, k, iv);
    c.setAutoPadding(false);
    return new Uint8Array([...c.update(block), ...c.final()]);
  };
  return { size, run };
}

/** encrypt/decrypt as OpenSSL's EVP: no IV means zeros; padding is PKCS#7 when asked for. */
export function cipherBytes(
  crypto: typeof import("node:crypto"),
  enc: boolean,
  alg: string,
  key: Uint8Array,
  iv: Uint8Array,
  data: Uint8Array,
  padding: boolean,
): Uint8Array {
  const lower = alg.toLowerCase();
  const name = CIPHER_ALIASES[lower] ?? lower;
  // nmap reads an IV whose first byte is NUL as none (nse_openssl.cc: iv[0] == '\0').
  if (iv[0] === 0) iv = new Uint8Array();
  if (name === "rc4" || name === "rc4-40") {
    // RC4-40 is RC4 whose key length defaults to 5 bytes; nmap sets the key's own length.
    return rc4(key, data);
  }
  if (crypto.getCiphers().includes(name)) {
    const ivLength = /-(cbc|ctr)$/.test(name) || name === "chacha20"
      ? (name.startsWith("des") ? 8 : 16)
      : 0;
    const v = ivLength === 0 ? null : iv.length ? iv : new Uint8Array(ivLength);
    const c = enc ? crypto.createCipheriv(name, key, v) : crypto.createDecipheriv(name, key, v);
    c.setAutoPadding(padding);
    return new Uint8Array([...c.update(data), ...c.final()]);
  }
  const m = name.match(/^(des|des-ede3|aes-(?:128|192|256)|cast5)-(ecb|cbc)$/);
  if (!m) throw new Error(`Unknown cipher algorithm: ${alg}`);
  const { size, run } = blockCipher(crypto, m[1]!, key);
  const cbc = m[2] === "cbc";
  if (cbc && iv.length && iv.length !== size) {
    throw new Error(`Length of iv is ${iv.length}; should be ${size}`);
  }
  let chain = iv.length ? iv : new Uint8Array(size);
  let input = data;
  if (enc && padding) {
    const n = size - (data.length % size);
    input = new Uint8Array([...data, ...new Array(n).fill(n)]);
  }
  if (input.length % size) throw new Error("data not multiple of block length");
  const out = new Uint8Array(input.length);
  for (let i = 0; i < input.length; i += size) {
    const block = input.slice(i, i + size);
    if (enc) {
      if (cbc) { for (let j = 0; j < size; j++) block[j]! ^= chain[j]!; }
      const c = run(true, block);
      out.set(c, i);
      chain = c;
    } else {
      const p = run(false, block);
      if (cbc) { for (let j = 0; j < size; j++) p[j]! ^= chain[j]!; }
      out.set(p, i);
      chain = block;
    }
  }
  if (!enc && padding) {
    const n = out[out.length - 1] ?? 0;
    if (n < 1 || n > size || out.length < n) throw new Error("bad decrypt");
    return out.slice(0, out.length - n);
  }
  return out;
}

/** The JavaScript half: functions the Lua module calls through its `host` table. */
export function opensslHost(crypto: typeof import("node:crypto")) {
  const bnOps: Record<string, (a: string, b: string, c: string) => string> = {
    norm: (a) => toHex(fromHex(/^-?[0-9a-fA-F]*$/.test(a) ? a : "0")),
    fromdec: (a) => toHex(/^-?\d+$/.test(a) ? BigInt(a) : 0n),
    todec: (a) => fromHex(a).toString(10),
    rand: (bits) => {
      const n = Number(bits);
      if (n <= 0) return "0";
      const bytes = crypto.randomBytes(Math.ceil(n / 8));
      // BN_rand(bits, -1, 0): exactly `bits` bits long when the top bit is left free (-1).
      let v = fromHex(hex(bytes)) & ((1n << BigInt(n)) - 1n);
      if (v === 0n) v = 1n;
      return toHex(v);
    },
    bits: (a) => {
      const v = fromHex(a);
      return String(v === 0n ? 0 : (v < 0n ? -v : v).toString(2).length);
    },
    setbit: (a, n) => toHex(fromHex(a) | (1n << BigInt(n))),
    clearbit: (a, n) => toHex(fromHex(a) & ~(1n << BigInt(n))),
    isbit: (a, n) => ((fromHex(a) >> BigInt(n)) & 1n ? "1" : "0"),
    neg: (a) => toHex(-(fromHex(a) < 0n ? -fromHex(a) : fromHex(a))),
    abs: (a) => toHex(fromHex(a) < 0n ? -fromHex(a) : fromHex(a)),
    prime: (a) => (fromHex(a) > 1n && crypto.checkPrimeSync(fromHex(a)) ? "1" : "0"),
    safeprime: (
      a,
    ) => ((fromHex(a) - 1n) / 2n > 1n && crypto.checkPrimeSync((fromHex(a) - 1n) / 2n) ? "1" : "0"),
    mpi: (a) => mpi(fromHex(a)),
    add: (a, b) => toHex(fromHex(a) + fromHex(b)),
    modexp: (a, p, m) => toHex(modPow(fromHex(a), fromHex(p), fromHex(m))),
    div: (a, d) => {
      const x = fromHex(a);
      const y = fromHex(d);
      if (y === 0n) throw new Error("division by zero");
      return `${toHex(x / y)},${toHex(x % y)}`;
    },
  };
  return {
    digest: (alg: string, data: string) => crypto.createHash(alg).update(unhex(data)).digest("hex"),
    hmac: (alg: string, key: string, data: string) =>
      crypto.createHmac(alg, unhex(key)).update(unhex(data)).digest("hex"),
    rand: (n: number) => crypto.randomBytes(n).toString("hex"),
    bn: (op: string, a: string, b = "0", c = "0") => {
      const f = bnOps[op];
      if (!f) throw new Error(`unknown bignum operation ${op}`);
      return f(a, b, c);
    },
    ciphers: () => [...new Set([...crypto.getCiphers(), ...OWN_CIPHERS])].sort(),
    /** encrypt/decrypt: { out } as hex, or { err } with nmap's message. */
    cipher: (
      enc: boolean,
      alg: string,
      key: string,
      iv: string,
      data: string,
      padding: boolean,
    ) => {
      try {
        return {
          out: hex(cipherBytes(crypto, enc, alg, unhex(key), unhex(iv), unhex(data), padding)),
        };
      } catch (e) {
        return { err: `OpenSSL error: ${(e as Error).message}` };
      }
    },
  };
}
