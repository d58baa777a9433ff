/* randsup-core.js — the arithmetic of a randsup draw, for checking it in a browser.
 *
 * Every function here mirrors one in randsup's Python code (named in its comment), so that
 * a citizen or an inspected entity can re-check the public seed and their own ticket without
 * installing anything. No DOM access, no network: pure functions on strings and bytes.
 * Exposed as window.Randsup (and module.exports where there is one).
 */
"use strict";
(function (root) {
  const utf8 = new TextEncoder();

  // ---------------------------------------------------------------------------------------
  // SHA-256 and HMAC-SHA256
  //
  // WebCrypto (crypto.subtle) exists only in secure contexts: pages opened from disk, served over
  // TLS or from localhost. A site copied to a plain-HTTP intranet server has no crypto.subtle, so
  // this small FIPS 180-4 implementation takes over there. Both give the same bytes; the tests
  // compare them.

  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);

  function sha256Plain(bytes) {
    const n = bytes.length;
    const blocks = Math.ceil((n + 9) / 64);
    const m = new Uint8Array(blocks * 64);
    m.set(bytes);
    m[n] = 0x80;
    const view = new DataView(m.buffer);
    view.setUint32(m.length - 8, Math.floor(n / 0x20000000)); // message length in bits, big-endian
    view.setUint32(m.length - 4, (n * 8) >>> 0);
    const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const w = new Uint32Array(64);
    const rotr = (x, r) => (x >>> r) | (x << (32 - r));
    for (let b = 0; b < blocks; b++) {
      for (let t = 0; t < 16; t++) w[t] = view.getUint32(b * 64 + t * 4);
      for (let t = 16; t < 64; t++) {
        const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
        const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
      }
      let [a, bb, c, d, e, f, g, hh] = h;
      for (let t = 0; t < 64; t++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) >>> 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) >>> 0;
        hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = bb; bb = a; a = (t1 + t2) >>> 0;
      }
      h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setUint32(i * 4, h[i]);
    return out;
  }

  /** SHA-256 of bytes (a Uint8Array), as a Uint8Array of 32 bytes. */
  async function sha256(bytes) {
    const subtle = root.crypto && root.crypto.subtle;
    if (subtle && !api.plainSha256) return new Uint8Array(await subtle.digest("SHA-256", bytes));
    return sha256Plain(bytes);
  }

  function toHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function fromHex(text) {
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  }

  /** HMAC-SHA256 (RFC 2104) built on sha256, so it works wherever sha256 does. */
  async function hmacSha256(key, message) {
    let k = key.length > 64 ? await sha256(key) : key;
    const block = new Uint8Array(64);
    block.set(k);
    const inner = block.map((x) => x ^ 0x36);
    const outer = block.map((x) => x ^ 0x5c);
    return sha256(concat(outer, await sha256(concat(inner, message))));
  }

  // ---------------------------------------------------------------------------------------
  // Exact decimals in [0, ∞) as strings, compared and subtracted with BigInt

  function splitDecimal(text) {
    const [whole, frac = ""] = text.split(".");
    return [BigInt(whole), frac];
  }

  /** Compare two non-negative decimal strings: -1, 0 or 1. */
  function compareDecimal(a, b) {
    const [wa, fa] = splitDecimal(a);
    const [wb, fb] = splitDecimal(b);
    if (wa !== wb) return wa < wb ? -1 : 1;
    const len = Math.max(fa.length, fb.length);
    const pa = fa.padEnd(len, "0");
    const pb = fb.padEnd(len, "0");
    return pa === pb ? 0 : pa < pb ? -1 : 1;
  }

  // ---------------------------------------------------------------------------------------
  // The public seed (randsup/seed.py)

  // seed.py _SEPARATORS: spaces, commas (full-width ones become "," under NFKC), 、 ; + and |.
  const SEPARATORS = /[\s,;、+|]+/u;
  // seed.py _NUMBER. Python's \d also takes digits of other scripts; after NFKC every digit a
  // person types in Chinese or English is ASCII, and anything else is refused here with a message.
  const NUMBER = /^(\d+)(?:\.(\d+))?$/;

  /** seed.py _canonical_value: a value in decimal without leading zeros, fraction without
   *  trailing zeros ("02" → "2", "3245.670" → "3245.67", "7.0" → "7"). */
  function canonicalValue(token, where) {
    const m = NUMBER.exec(token);
    if (!m) {
      const what = token.startsWith("-") ? "是负数" : "不是数字（像是随机源名称的一部分，而不是它的数值）";
      throw new Error(`${where}：“${token}”${what}`);
    }
    const whole = BigInt(m[1]).toString();
    const frac = (m[2] || "").replace(/0+$/, "");
    return frac ? `${whole}.${frac}` : whole;
  }

  /** seed.py parse_source: the canonical values of one source, sorted ascending. */
  function parseSource(text, where) {
    const tokens = text.normalize("NFKC").trim().split(SEPARATORS).filter((t) => t);
    if (tokens.length === 0) throw new Error(`${where}为空：请填入该随机源公布的数值，用空格分隔`);
    return tokens.map((t) => canonicalValue(t, where)).sort(compareDecimal);
  }

  /** seed.py key_string (RFC 3797 §4): each value followed by ".", each source ended by "/",
   *  sources in the order the plan specification names them. */
  function keyString(sources) {
    if (sources.length === 0) throw new Error("没有随机源");
    return sources.map((s, i) => parseSource(s, `第${i + 1}个随机源`).map((v) => v + ".").join("") + "/").join("");
  }

  /** seed.py PublicSeed.from_key_string: SHA-256("randsup/1" ‖ key string ‖ salt), hex. */
  async function seedHex(key, salt) {
    return toHex(await sha256(utf8.encode("randsup/1" + key + (salt || ""))));
  }

  /** seed.py commit_salt: "sha256:" + SHA-256(salt). */
  async function saltCommitment(salt) {
    return "sha256:" + toHex(await sha256(utf8.encode(salt)));
  }

  /** seed.py PublicSeed.sub_seed: HMAC-SHA256(key = the seed's 32 bytes, message = domain), hex.
   *  Domains: "entities" (the ticket seed of together/apart tasks), "task/<task_id>"
   *  (an independent task's own ticket seed). */
  async function subSeed(seed, domain) {
    return toHex(await hmacSha256(fromHex(seed), utf8.encode(domain)));
  }

  // ---------------------------------------------------------------------------------------
  // Tickets (randsup/tickets.py ticket = consistent_sampler.first_fraction)

  /** consistent_sampler.first_fraction(id, seed): the decimal digits of
   *  H = SHA-256(SHA-256hex(seed) ‖ id), zero-padded to 64 digits and reversed, after "0.".
   *  H has up to 78 decimal digits, so the ticket has 64 to 78 digits. BigInt keeps it exact. */
  async function firstFraction(id, seed) {
    const seedHash = toHex(await sha256(utf8.encode(String(seed))));
    return ticketOfDigest(toHex(await sha256(utf8.encode(seedHash + String(id)))));
  }

  /** consistent_sampler.sha256_uniform after the hash: "0." + the decimal digits of the 256-bit
   *  digest (hex), zero-padded to 64 digits ("{:064d}") and reversed. */
  function ticketOfDigest(digestHex) {
    const digits = BigInt("0x" + digestHex).toString(10).padStart(64, "0");
    return "0." + Array.from(digits).reverse().join("");
  }

  /** (ticket − start) mod 1, exactly: how far along the ticket circle from the task's start.
   *  Mirrors TicketTable.shifted (which works on the first 19 digits) at full precision;
   *  written like Python's Decimal.normalize(): no trailing zeros, "0" for zero. */
  function distance(ticket, start) {
    const ft = ticket.split(".")[1] || "";
    const fs = (start.split(".")[1] || "");
    const n = Math.max(ft.length, fs.length);
    const one = 10n ** BigInt(n);
    const t = BigInt(ticket.split(".")[0]) * one + BigInt(ft.padEnd(n, "0") || "0");
    const s = BigInt(start.split(".")[0]) * one + BigInt(fs.padEnd(n, "0") || "0");
    let d = (t - s) % one;
    if (d < 0n) d += one;
    if (d === 0n) return "0";
    return ("0." + d.toString().padStart(n, "0")).replace(/0+$/, "");
  }

  // ---------------------------------------------------------------------------------------
  // 统一社会信用代码 (randsup/uscc.py, GB 32100-2015)

  const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"; // no I, O, Z, S, V
  const WEIGHTS = Array.from({ length: 17 }, (_, i) => Number(3n ** BigInt(i) % 31n));
  const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]; // GB 11714-1997
  const AUTHORITIES = "123456789ANY";

  /** uscc.py check_character: the 18th character for the first 17. */
  function usccCheckCharacter(first17) {
    let total = 0;
    for (let i = 0; i < 17; i++) total += ALPHABET.indexOf(first17[i]) * WEIGHTS[i];
    return ALPHABET[(31 - (total % 31)) % 31];
  }

  /** uscc.py org_check_character: GB 11714 check character of the organisation-code body. */
  function orgCheckCharacter(body8) {
    let total = 0;
    for (let i = 0; i < 8; i++) {
      const c = body8[i];
      total += (/\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55) * ORG_WEIGHTS[i];
    }
    const r = 11 - (total % 11);
    return r === 10 ? "X" : r === 11 ? "0" : String(r);
  }

  /** How a typed code is read: full-width folded (NFKC), spaces removed, upper case. */
  function normaliseUscc(text) {
    return text.normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  }

  /** uscc.py uscc_problem: why a code is not a valid 统一社会信用代码, or null. In Chinese. */
  function usccProblem(code) {
    if (code.length !== 18) return `统一社会信用代码应为18位，您输入了${code.length}位`;
    const bad = [...new Set(Array.from(code).filter((c) => !ALPHABET.includes(c)))].sort();
    if (bad.length) return `含有不允许的字符“${bad.join("")}”（只能是数字和除 I、O、Z、S、V 以外的大写字母）`;
    if (!AUTHORITIES.includes(code[0])) return `第1位“${code[0]}”不是登记管理部门代码（1–9、A、N、Y）`;
    if (!/^\d{6}$/.test(code.slice(2, 8))) return `第3–8位应为6位行政区划代码，而不是“${code.slice(2, 8)}”`;
    const org = orgCheckCharacter(code.slice(8, 16));
    if (code[16] !== org) return `第17位（组织机构代码校验码）是“${code[16]}”，按 GB 11714 应为“${org}”，请核对是否输错`;
    const expected = usccCheckCharacter(code.slice(0, 17));
    if (code[17] !== expected) return `第18位校验码是“${code[17]}”，按 GB 32100 应为“${expected}”，请核对是否输错`;
    return null;
  }

  const api = {
    plainSha256: false, // set true to use the built-in SHA-256 even where WebCrypto exists
    sha256, sha256Plain, hmacSha256, toHex, fromHex, compareDecimal,
    parseSource, keyString, seedHex, saltCommitment, subSeed,
    firstFraction, ticketOfDigest, distance,
    normaliseUscc, usccProblem, usccCheckCharacter,
  };
  root.Randsup = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof window !== "undefined" ? window : globalThis);
