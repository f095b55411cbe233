import assert from "node:assert/strict";
import crypto from "node:crypto";
import { cipherBytes } from "./openssl.ts";
import { NseEngine } from "./engine.ts";
import { missingTools } from "../../tests/_oracle.ts";
import { openssl } from "../../tests/testing/certs.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** `openssl enc` (legacy provider too, for single DES) of `data`; hex out. */
async function opensslEnc(cipher: string, key: string, iv: string, data: Uint8Array, pad: boolean) {
  const args = ["enc", `-${cipher}`, "-provider", "legacy", "-provider", "default", "-K", key];
  if (iv) args.push("-iv", iv);
  if (!pad) args.push("-nopad");
  return hex(await openssl(args, data));
}

Deno.test({
  name:
    "openssl ciphers: DES, 3DES-ECB, AES-192-CBC, CAST5 and RC4 (missing from Deno's node:crypto) equal openssl enc",
  ignore: missingTools("openssl").length > 0,
  async fn() {
    const data = new TextEncoder().encode("sixteen byte msg and more text.!");
    const cases: [string, string, string, boolean][] = [
      ["des-ecb", "0123456789abcdef", "", true],
      ["des-ecb", "0123456789abcdef", "", false],
      ["des-cbc", "0123456789abcdef", "1122334455667788", true],
      ["des-ede3-ecb", "0123456789abcdef".repeat(3).replace(/^../, "ff"), "", false],
      ["aes-192-cbc", "000102030405060708090a0b0c0d0e0f1011121314151617", "0f".repeat(16), true],
      ["aes-128-cbc", "000102030405060708090a0b0c0d0e0f", "0e".repeat(16), false],
      ["cast5-cbc", "0123456789abcdef0123456789abcdef", "0102030405060708", true],
      ["cast5-cbc", "00112233445566778899aabbccddeeff", "f0e0d0c0b0a09080", false],
      ["cast5-ecb", "fedcba9876543210fedcba9876543210", "", true],
      ["rc4", "000102030405060708090a0b0c0d0e0f", "", false],
    ];
    for (const [cipher, key, iv, pad] of cases) {
      const ours = cipherBytes(
        crypto,
        true,
        cipher.toUpperCase(),
        unhex(key),
        unhex(iv),
        data,
        pad,
      );
      assert.equal(hex(ours), await opensslEnc(cipher, key, iv, data, pad), cipher);
      const back = cipherBytes(crypto, false, cipher, unhex(key), unhex(iv), ours, pad);
      assert.deepEqual(back, data, cipher);
    }
    // nmap's "DES" is OpenSSL's des-cbc; without an IV OpenSSL's is zeros.
    const des = cipherBytes(
      crypto,
      true,
      "DES",
      unhex("0123456789abcdef"),
      new Uint8Array(),
      data,
      false,
    );
    assert.equal(
      hex(des),
      await opensslEnc("des-cbc", "0123456789abcdef", "00".repeat(8), data, false),
    );
    assert.throws(() =>
      cipherBytes(crypto, true, "rc2-cbc", new Uint8Array(16), new Uint8Array(), data, false)
    );
    // openssl enc pads a short -K with zeros to the cipher's default length; nmap sets the key's
    // own length (a 40- to 80-bit CAST5 key runs 12 rounds), so those are RFC 2144's B.1 vectors,
    // and RC4's is the classic "Key"/"Plaintext" one.
    const block = unhex("0123456789abcdef");
    for (
      const [key, want] of [
        ["0123456712345678234567893456789a", "238b4fe5847e44b2"],
        ["01234567123456782345", "eb6a711a2c02271b"],
        ["0123456712", "7ac816d16e9b302e"],
      ]
    ) {
      const ct = cipherBytes(
        crypto,
        true,
        "CAST5-ECB",
        unhex(key!),
        new Uint8Array(),
        block,
        false,
      );
      assert.equal(hex(ct), want);
      assert.deepEqual(
        cipherBytes(crypto, false, "cast5-ecb", unhex(key!), new Uint8Array(), ct, false),
        block,
      );
    }
    const text = new TextEncoder();
    assert.equal(
      hex(
        cipherBytes(
          crypto,
          true,
          "rc4",
          text.encode("Key"),
          new Uint8Array(),
          text.encode("Plaintext"),
          false,
        ),
      ),
      "bbf316e8d940af0ad3",
    );
  },
});

Deno.test({
  name: "nse openssl: bignums as OpenSSL computes them; ciphers round-trip and match openssl enc",
  ignore: missingTools("openssl").length > 0,
  async fn() {
    const e = await NseEngine.create({ dataDirs: [], targets: new Set() });
    try {
      const err = e.loadScript(
        "bn-test.nse",
        `local openssl = require "openssl"
description = [[t]]
categories = {"safe"}
prerule = function() return true end
action = function()
  local bn = openssl.bignum_dec2bn("123456789012345678901234567890")
  local out = {}
  out[#out + 1] = openssl.bignum_bn2hex(bn)
  out[#out + 1] = openssl.bignum_num_bits(bn) .. " " .. bn:num_bytes()
  local r = openssl.bignum_mod_exp(openssl.bignum_bin2bn("\\2"), openssl.bignum_hex2bn("10001"),
    openssl.bignum_dec2bn("1000000007"))
  out[#out + 1] = r:todec()
  local q, m = openssl.bignum_div(bn, openssl.bignum_dec2bn("1000"))
  out[#out + 1] = q:todec() .. " " .. m:todec()
  out[#out + 1] = openssl.bignum_bn2hex(openssl.bignum_add(bn, openssl.bignum_dec2bn("1")))
  out[#out + 1] = tostring(openssl.bignum_is_prime(openssl.bignum_dec2bn("1000000007")))
  out[#out + 1] = #openssl.bignum_bn2bin(openssl.bignum_hex2bn("00ff00")) .. " " .. openssl.bignum_bn2hex(openssl.bignum_hex2bn("0"))
  local key, iv = string.rep("k", 16), string.rep("i", 16)
  local ct = openssl.encrypt("aes-128-cbc", key, iv, "sixteen byte msg")
  out[#out + 1] = (ct:gsub(".", function(c) return string.format("%02x", c:byte()) end))
  out[#out + 1] = openssl.decrypt("aes-128-cbc", key, iv, ct)
  out[#out + 1] = (openssl.DES_string_to_key("\\255\\255\\255\\255\\255\\255\\255"):gsub(".", function(c) return string.format("%02x", c:byte()) end))
  return table.concat(out, "|")
end`,
      );
      assert.equal(err, undefined);
      const [r] = await e.run("pre");
      const n = 123456789012345678901234567890n;
      let modexp = 1n;
      for (let i = 0; i < 65537; i++) modexp = (modexp * 2n) % 1000000007n;
      const cbc = await opensslEnc(
        "aes-128-cbc",
        hex(new TextEncoder().encode("k".repeat(16))),
        hex(new TextEncoder().encode("i".repeat(16))),
        new TextEncoder().encode("sixteen byte msg"),
        false,
      );
      assert.deepEqual(r?.output.split("|"), [
        n.toString(16).toUpperCase().padStart(26, "0"),
        `${n.toString(2).length} ${Math.ceil(n.toString(2).length / 8)}`,
        String(modexp),
        `${n / 1000n} ${n % 1000n}`,
        (n + 1n).toString(16).toUpperCase().padStart(26, "0"),
        "true",
        "2 0",
        cbc,
        "sixteen byte msg",
        "fefefefefefefefe",
      ]);
    } finally {
      e.close();
    }
  },
});
