// Derives the client Initial packet-protection keys of QUIC from a destination connection ID,
// for every version whose Initial salt is public: v1 (RFC 9001), v2 (RFC 9369), the IETF
// drafts, Facebook's mvfst and Google's Q050/T050/T051 (salts are protocol constants, as
// Wireshark and nDPI list them).

import { createCipheriv, createHmac } from "node:crypto";

/** Client Initial keys: AEAD_AES_128_GCM key and IV, and the header-protection key. */
export interface InitialKeys {
  key: Uint8Array;
  iv: Uint8Array;
  hp: Uint8Array;
}

/** QUIC version numbers named here. */
export const QuicVersion = {
  V1: 0x00000001,
  V2: 0x6b3343cf,
  MvfstD22: 0xfaceb001,
  Mvfst27: 0xfaceb002,
  MvfstExp: 0xfaceb00e,
  Q046: 0x51303436,
  Q050: 0x51303530,
  T050: 0x54303530,
  T051: 0x54303531,
} as const;

const SALT_V1 = hexBytes("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
const SALT_V2 = hexBytes("0dede3def700a6db819381be6e269dcbf9bd2ed9");
const SALT_D22 = hexBytes("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a");
const SALT_D23 = hexBytes("c3eef712c72ebb5a11a7d2432bb46365bef9f502");
const SALT_D29 = hexBytes("afbfec289993d24c9e9786f19c6111e04390a899");
const SALT_Q050 = hexBytes("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45");
const SALT_T050 = hexBytes("7ff579e5acd072915580304c43a2367c60488310");
const SALT_T051 = hexBytes("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d");

/** How one version protects its Initial packets. */
export interface VersionRules {
  salts: Uint8Array[];
  /** HKDF label prefix: "quic " for v1 and earlier, "quicv2 " for v2. */
  labelPrefix: string;
  /** The long-header packet type value of an Initial packet (0, or 1 in v2). */
  initialType: number;
  /** Frame type of CRYPTO: 0x06, or 0x08 in Google's Q050/T05x. */
  cryptoFrame: number;
  /** True when the crypto stream carries a TLS ClientHello; false for Q050's CHLO. */
  tls: boolean;
}

const IETF = (salts: Uint8Array[]): VersionRules => ({
  salts,
  labelPrefix: "quic ",
  initialType: 0,
  cryptoFrame: 0x06,
  tls: true,
});

/**
 * The rules for `version`, or null when its Initial packets cannot be read (unknown version,
 * or a gQUIC version older than Q050 whose Initials are not encrypted: see gquic_chlo.ts).
 */
export function versionRules(version: number): VersionRules | null {
  switch (version) {
    case QuicVersion.V1:
      return IETF([SALT_V1]);
    case QuicVersion.V2:
      return {
        salts: [SALT_V2],
        labelPrefix: "quicv2 ",
        initialType: 1,
        cryptoFrame: 0x06,
        tls: true,
      };
    case QuicVersion.MvfstD22:
      return IETF([SALT_D22]);
    case QuicVersion.Mvfst27:
    case QuicVersion.MvfstExp:
      return IETF([SALT_D23]);
    case QuicVersion.Q050:
      return {
        salts: [SALT_Q050],
        labelPrefix: "quic ",
        initialType: 0,
        cryptoFrame: 0x08,
        tls: false,
      };
    case QuicVersion.T050:
      return {
        salts: [SALT_T050],
        labelPrefix: "quic ",
        initialType: 0,
        cryptoFrame: 0x08,
        tls: true,
      };
    case QuicVersion.T051:
      return {
        salts: [SALT_T051],
        labelPrefix: "quic ",
        initialType: 0,
        cryptoFrame: 0x08,
        tls: true,
      };
  }
  if ((version >>> 8) === 0xff0000) {
    const draft = version & 0xff;
    if (draft <= 22) return IETF([SALT_D22]);
    if (draft <= 28) return IETF([SALT_D23]);
    if (draft <= 32) return IETF([SALT_D29]);
    return IETF([SALT_V1]);
  }
  // Other mvfst versions, and "0x?a?a?a?a" (forcing version negotiation, RFC 9000 15): the
  // version says nothing of the salt, so the likely ones are tried; the AEAD tag tells.
  if ((version & 0xfffff000) === 0xfaceb000 || (version & 0x0f0f0f0f) === 0x0a0a0a0a) {
    return IETF([SALT_V1, SALT_D29, SALT_D23]);
  }
  return null;
}

/** Recently derived keys by salt, prefix and connection ID: a flow's Initials share them. */
const cache = new Map<string, InitialKeys>();
const CACHE_LIMIT = 64;

/** The client Initial keys for connection ID `dcid` under `salt` and label `prefix`. */
export function initialKeys(salt: Uint8Array, labelPrefix: string, dcid: Uint8Array): InitialKeys {
  const id = `${labelPrefix}${salt[0]}.${salt[1]}:${Array.from(dcid).join(",")}`;
  const known = cache.get(id);
  if (known) return known;
  // RFC 9001 5.2: initial_secret = HKDF-Extract(salt, dcid); client_initial_secret =
  // HKDF-Expand-Label(initial_secret, "client in", "", 32).
  const initial = createHmac("sha256", salt).update(dcid).digest();
  const client = expandLabel(initial, "client in", 32);
  const keys = {
    key: expandLabel(client, labelPrefix + "key", 16),
    iv: expandLabel(client, labelPrefix + "iv", 12),
    hp: expandLabel(client, labelPrefix + "hp", 16),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(id, keys);
  return keys;
}

/** AES-128-ECB of one 16-byte block: the header-protection mask source (RFC 9001 5.4.3). */
export function headerMask(hp: Uint8Array, sample: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-128-ecb", hp, null);
  cipher.setAutoPadding(false);
  return cipher.update(sample);
}

/**
 * HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of at most one SHA-256
 * block: HMAC(secret, length (2) | label length (1) | "tls13 " label | context length (1) | 1).
 */
function expandLabel(secret: Uint8Array, label: string, length: number): Uint8Array {
  const full = "tls13 " + label;
  const info = new Uint8Array(2 + 1 + full.length + 1 + 1);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  for (let i = 0; i < full.length; i++) info[3 + i] = full.charCodeAt(i);
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // T(1)
  return new Uint8Array(createHmac("sha256", secret).update(info).digest().subarray(0, length));
}

function hexBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
