import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { encodeMsgpack } from "../../provider/terraform/protocol/cty";
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from "../../provider/terraform/protocol/handshake";
import type { Diagnostic, GetProviderSchemaResponse } from "../../provider/terraform/protocol/messages";
import { generateCertificate, type SelfSignedCertificate } from "../../provider/terraform/protocol/tls";
import { PROVIDER_VALUE_TYPE, RESOURCE_SCHEMA_VERSION, RESOURCE_VALUE_TYPE } from "../../provider/terraform/schema";
import { loadServices } from "../../provider/terraform/server";

/**
 * The compiled provider binary, started the way Terraform starts it (go-plugin environment,
 * AutoMTLS), spoken to over gRPC with a client certificate as Terraform would.
 */

const PROVIDER_MAIN = path.join(__dirname, "../../provider/terraform/main.js");
const definition = loadServices();

interface StartedProvider {
  child: ChildProcess;
  handshake: string[];
  exited: Promise<number | null>;
}

function startProvider(env: Record<string, string>): Promise<StartedProvider> {
  const child = spawn(process.execPath, [PROVIDER_MAIN], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline >= 0) resolve({ child, handshake: stdout.slice(0, newline).split("|"), exited });
    });
    void exited.then((code) => reject(new Error(`provider exited (${code}) before the handshake: ${stderr}`)));
  });
}

function derToPem(base64: string): string {
  const lines =
    Buffer.from(base64, "base64")
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

function client(service: string, address: string, credentials: grpc.ChannelCredentials): grpc.Client {
  const Constructor = grpc.makeGenericClientConstructor(definition[service] as grpc.ServiceDefinition, service);
  return new Constructor(address, credentials, { "grpc.ssl_target_name_override": "localhost" });
}

function call<Response>(target: grpc.Client, service: string, method: string, request: object): Promise<Response> {
  const methodDefinition = (definition[service] as grpc.ServiceDefinition)[method];
  return new Promise((resolve, reject) => {
    target.makeUnaryRequest<object, Response>(
      methodDefinition.path,
      methodDefinition.requestSerialize as (value: object) => Buffer,
      methodDefinition.responseDeserialize as (bytes: Buffer) => Response,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + 10_000 },
      (error, response) => (error || !response ? reject(error ?? new Error("no response")) : resolve(response)),
    );
  });
}

describe("terraform-provider-nestedvirt over gRPC (compiled binary)", function () {
  this.timeout(30_000);

  const clientCertificate: SelfSignedCertificate = generateCertificate();
  let provider: StartedProvider;
  let address: string;
  let credentials: grpc.ChannelCredentials;
  let providerClient: grpc.Client;

  before(async () => {
    provider = await startProvider({
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: "5,6",
      PLUGIN_MIN_PORT: "10000",
      PLUGIN_MAX_PORT: "25000",
      PLUGIN_CLIENT_CERT: clientCertificate.certificatePem,
    });
    address = provider.handshake[3];
    credentials = grpc.credentials.createSsl(
      Buffer.from(derToPem(provider.handshake[5])),
      Buffer.from(clientCertificate.privateKeyPem),
      Buffer.from(clientCertificate.certificatePem),
    );
    providerClient = client("tfplugin6.Provider", address, credentials);
  });

  after(async () => {
    providerClient?.close();
    if (provider && provider.child.exitCode === null) provider.child.kill();
  });

  it("announces protocol 6 over TCP on 127.0.0.1 with its certificate", () => {
    const [core, version, network, where, protocol, certificate] = provider.handshake;
    expect([core, version, network, protocol]).to.deep.equal(["1", "6", "tcp", "grpc"]);
    expect(where).to.match(/^127\.0\.0\.1:\d+$/);
    expect(Number(where.split(":")[1])).to.be.within(10000, 25000);
    expect(certificate).to.have.length.above(50).and.not.match(/=$/);
  });

  it("answers go-plugin's health check for the plugin service", async () => {
    const health = client("grpc.health.v1.Health", address, credentials);
    const response = await call<{ status: string }>(health, "grpc.health.v1.Health", "Check", { service: "plugin" });
    health.close();
    expect(response.status).to.equal("SERVING");
  });

  it("serves the schema of nestedvirt_enablement", async () => {
    const response = await call<GetProviderSchemaResponse>(
      providerClient,
      "tfplugin6.Provider",
      "GetProviderSchema",
      {},
    );
    expect(response.diagnostics).to.deep.equal([]);
    const schema = response.resource_schemas.nestedvirt_enablement;
    expect(schema.version).to.equal(RESOURCE_SCHEMA_VERSION);
    const instanceId = schema.block.attributes.find((a) => a.name === "instance_id");
    expect(instanceId?.required).to.equal(true);
    expect(JSON.parse(Buffer.from(instanceId?.type ?? []).toString())).to.equal("string");
    expect(schema.block.block_types.map((b) => b.type_name)).to.deep.equal(["timeouts"]);
    expect(response.provider.block.attributes.map((a) => a.name)).to.deep.equal(["region", "profile", "endpoint"]);
  });

  it("rejects a malformed instance_id with a diagnostic on that attribute", async () => {
    const config = Object.fromEntries(
      Object.keys((RESOURCE_VALUE_TYPE as readonly ["object", object])[1]).map((k) => [k, null]),
    );
    const request = {
      type_name: "nestedvirt_enablement",
      config: { msgpack: Buffer.from(encodeMsgpack({ ...config, instance_id: "i-XYZ" }, RESOURCE_VALUE_TYPE)) },
    };
    const response = await call<{ diagnostics: Diagnostic[] }>(
      providerClient,
      "tfplugin6.Provider",
      "ValidateResourceConfig",
      request,
    );
    expect(response.diagnostics).to.have.length(1);
    const [diagnostic] = response.diagnostics;
    expect(diagnostic.severity).to.equal("ERROR");
    expect(diagnostic.summary).to.equal("Invalid instance_id");
    expect(diagnostic.detail).to.contain('"i-XYZ" is not an EC2 instance ID');
    expect(diagnostic.attribute?.steps.map((s) => s.attribute_name)).to.deep.equal(["instance_id"]);
  });

  it("rejects a provider block region that is not an AWS region, as the resource does", async () => {
    const config = { region: "moon-1", profile: null, endpoint: null };
    const response = await call<{ diagnostics: Diagnostic[] }>(
      providerClient,
      "tfplugin6.Provider",
      "ValidateProviderConfig",
      {
        config: { msgpack: Buffer.from(encodeMsgpack(config, PROVIDER_VALUE_TYPE)) },
      },
    );
    expect(response.diagnostics.map((d) => [d.summary, d.detail])).to.deep.equal([
      ["Invalid region", 'region "moon-1" is not an AWS region name such as us-east-1.'],
    ]);
  });

  it("offers no functions and refuses to move state", async () => {
    const functions = await call<{ functions: object }>(providerClient, "tfplugin6.Provider", "GetFunctions", {});
    expect(functions.functions).to.deep.equal({});
    const moved = await call<{ diagnostics: Diagnostic[] }>(
      providerClient,
      "tfplugin6.Provider",
      "MoveResourceState",
      {},
    );
    expect(moved.diagnostics[0].severity).to.equal("ERROR");
  });

  it("refuses a client that does not hold the announced client certificate", async () => {
    const stranger = generateCertificate();
    const strangerCredentials = grpc.credentials.createSsl(
      Buffer.from(derToPem(provider.handshake[5])),
      Buffer.from(stranger.privateKeyPem),
      Buffer.from(stranger.certificatePem),
    );
    const intruder = client("tfplugin6.Provider", address, strangerCredentials);
    let failure: unknown;
    try {
      await call(intruder, "tfplugin6.Provider", "GetProviderSchema", {});
    } catch (error) {
      failure = error;
    }
    intruder.close();
    expect((failure as grpc.ServiceError | undefined)?.code).to.equal(grpc.status.UNAVAILABLE);
  });

  it("exits cleanly when go-plugin's controller asks it to shut down", async () => {
    const controller = client("plugin.GRPCController", address, credentials);
    await call(controller, "plugin.GRPCController", "Shutdown", {});
    controller.close();
    expect(await provider.exited).to.equal(0);
  });
});

describe("terraform-provider-nestedvirt when Terraform's connection closes", function () {
  this.timeout(30_000);

  it("without a Shutdown (the host gone, its process still there): takes no new work and exits 0", async () => {
    const started = await startProvider({
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: "6",
      PLUGIN_CLIENT_CERT: "",
    });
    let stderr = "";
    started.child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const host = client("plugin.GRPCStdio", started.handshake[3], grpc.credentials.createInsecure());
    const method = (definition["plugin.GRPCStdio"] as grpc.ServiceDefinition).StreamStdio;
    // go-plugin holds this stream open for as long as it uses the plugin.
    const stdio = host.makeServerStreamRequest(
      method.path,
      method.requestSerialize as (value: object) => Buffer,
      method.responseDeserialize as (bytes: Buffer) => unknown,
      {},
    );
    stdio.on("error", () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started.child.exitCode).to.equal(null);

    stdio.cancel();
    host.close();
    // This process, its parent, is alive: the exit comes from the closed stream alone.
    expect(await started.exited).to.equal(0);
    expect(stderr).to.contain("the connection to Terraform closed; finishing cycles under way, then exiting");
  });
});

describe("terraform-provider-nestedvirt started by hand", function () {
  this.timeout(30_000);

  it("explains itself and exits 1 without Terraform's magic cookie", async () => {
    const child = spawn(process.execPath, [PROVIDER_MAIN], {
      env: { ...process.env, [MAGIC_COOKIE_KEY]: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).to.equal(1);
    expect(stderr).to.contain("Terraform provider plugin").and.contain("not meant to be run directly");
  });

  it("serves plaintext with an empty certificate field when the host does not use AutoMTLS", async () => {
    const env: Record<string, string> = {
      [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: "6",
      PLUGIN_CLIENT_CERT: "",
    };
    const plain = await startProvider(env);
    expect(plain.handshake[5]).to.equal("");
    const insecure = client("tfplugin6.Provider", plain.handshake[3], grpc.credentials.createInsecure());
    const metadata = await call<{ resources: { type_name: string }[] }>(
      insecure,
      "tfplugin6.Provider",
      "GetMetadata",
      {},
    );
    insecure.close();
    expect(metadata.resources).to.deep.equal([{ type_name: "nestedvirt_enablement" }]);
    plain.child.kill();
    await plain.exited;
  });
});
