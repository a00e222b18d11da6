import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./der";

/**
 * go-plugin's automatic mutual TLS: the host passes its own certificate in PLUGIN_CLIENT_CERT,
 * the plugin answers with a fresh self-signed one in the handshake line, and each side trusts
 * exactly the other's certificate.
 */

export interface SelfSignedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** DER bytes of the certificate, as announced in the handshake. */
  der: Buffer;
}

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value));
}

function name(commonName: string): Buffer {
  return sequence(
    set(sequence(objectIdentifier(OID.organization), utf8String("nestedvirt"))),
    set(sequence(objectIdentifier(OID.commonName), utf8String(commonName))),
  );
}

// digitalSignature (bit 0), keyEncipherment (bit 2), keyCertSign (bit 5): 0b10100100, 2 unused bits.
const KEY_USAGE = bitString(Buffer.from([0xa4]), 2);

function toPem(label: string, der: Buffer): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * A P-256 certificate for "localhost" (and 127.0.0.1) that is its own CA, usable for both server
 * and client authentication, valid from 30 s ago (clock skew) for a year.
 */
export function generateCertificate(now = new Date()): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01; // positive and of full length
  const notBefore = new Date(now.getTime() - 30_000);
  const notAfter = new Date(now.getTime() + 365 * 24 * 3600 * 1000);

  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    extension(OID.keyUsage, true, KEY_USAGE),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth), objectIdentifier(OID.clientAuth))),
    extension(
      OID.subjectAltName,
      false,
      sequence(
        implicitPrimitive(2, Buffer.from("localhost", "ascii")),
        implicitPrimitive(7, Buffer.from([127, 0, 0, 1])),
      ),
    ),
  );
  const tbs = sequence(
    explicit(0, smallInteger(2)), // X.509 v3
    unsignedInteger(serial),
    signatureAlgorithm,
    name("localhost"),
    sequence(time(notBefore), time(notAfter)),
    name("localhost"),
    publicKey.export({ type: "spki", format: "der" }),
    explicit(3, extensions),
  );
  const signature = sign("sha256", tbs, { key: privateKey, dsaEncoding: "der" });
  const der = sequence(tbs, signatureAlgorithm, bitString(signature));
  return {
    der,
    certificatePem: toPem("CERTIFICATE", der),
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
}

/** The handshake carries the certificate as unpadded standard base64 of its DER bytes. */
export function handshakeCertificate(der: Buffer): string {
  return der.toString("base64").replace(/=+$/, "");
}
