import { createPrivateKey, X509Certificate } from "node:crypto";
import { expect } from "chai";
import {
  handshakeLine,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  negotiateProtocolVersion,
  portCandidates,
  startedByHost,
} from "../../provider/terraform/protocol/handshake";
import { generateCertificate, handshakeCertificate } from "../../provider/terraform/protocol/tls";

describe("go-plugin handshake", () => {
  it("recognises the host only by Terraform's magic cookie", () => {
    expect(startedByHost({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })).to.equal(true);
    expect(startedByHost({})).to.equal(false);
    expect(startedByHost({ [MAGIC_COOKIE_KEY]: "nope" })).to.equal(false);
  });

  it("serves protocol 6 when offered (alone or with 5), and refuses a host that only speaks 5", () => {
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: "5,6" })).to.equal(6);
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: "6" })).to.equal(6);
    expect(negotiateProtocolVersion({})).to.equal(6);
    expect(negotiateProtocolVersion({ PLUGIN_PROTOCOL_VERSIONS: "5" })).to.equal(undefined);
  });

  it("lets the OS pick a port unless the host sets a range, then tries random ports inside it", () => {
    expect(portCandidates({})).to.deep.equal([0]);
    expect(portCandidates({ PLUGIN_MIN_PORT: "0", PLUGIN_MAX_PORT: "0" })).to.deep.equal([0]);
    const ports = portCandidates({ PLUGIN_MIN_PORT: "10000", PLUGIN_MAX_PORT: "25000" });
    expect(ports).to.have.length(50);
    expect(new Set(ports).size).to.equal(50);
    for (const port of ports) expect(port).to.be.within(10000, 25000);
    expect(portCandidates({ PLUGIN_MIN_PORT: "4000", PLUGIN_MAX_PORT: "4002" }).sort()).to.deep.equal([
      4000, 4001, 4002,
    ]);
    expect(portCandidates({ PLUGIN_MIN_PORT: "9", PLUGIN_MAX_PORT: "3" })).to.deep.equal([0]);
  });

  it("formats the handshake line go-plugin reads", () => {
    expect(handshakeLine(1234, "CERT")).to.equal("1|6|tcp|127.0.0.1:1234|grpc|CERT");
    expect(handshakeLine(1234)).to.equal("1|6|tcp|127.0.0.1:1234|grpc|");
  });
});

describe("AutoMTLS certificate", () => {
  // Generated when the file loads; the validity window is measured from that moment, not from when
  // this test runs (other suites may run in between).
  const generatedAt = Date.now();
  const generated = generateCertificate();
  const certificate = new X509Certificate(generated.certificatePem);

  it("is a self-signed CA certificate for localhost that verifies with its own key", () => {
    expect(certificate.ca).to.equal(true);
    expect(certificate.checkHost("localhost")).to.equal("localhost");
    expect(certificate.checkIP("127.0.0.1")).to.equal("127.0.0.1");
    expect(certificate.subject).to.contain("CN=localhost");
    expect(certificate.issuer).to.equal(certificate.subject);
    expect(certificate.verify(certificate.publicKey)).to.equal(true);
  });

  it("allows server and client authentication", () => {
    expect(certificate.keyUsage).to.have.members(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });

  it("is valid from 30 seconds ago for about a year, with a positive serial", () => {
    const now = generatedAt;
    expect(Date.parse(certificate.validFrom)).to.be.within(now - 32_000, now - 28_000);
    expect(Date.parse(certificate.validTo) - now).to.be.within(364 * 86400_000, 366 * 86400_000);
    expect(parseInt(certificate.serialNumber.slice(0, 2), 16) & 0x80).to.equal(0);
  });

  it("pairs with its private key and is announced as unpadded base64 DER", () => {
    expect(certificate.checkPrivateKey(createPrivateKey(generated.privateKeyPem))).to.equal(true);
    const announced = handshakeCertificate(generated.der);
    expect(announced).to.not.match(/=$/);
    expect(Buffer.from(announced, "base64").equals(generated.der)).to.equal(true);
    expect(new X509Certificate(Buffer.from(announced, "base64")).fingerprint256).to.equal(certificate.fingerprint256);
  });
});
