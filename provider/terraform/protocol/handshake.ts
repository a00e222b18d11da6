/**
 * The go-plugin start-up contract: the host proves it is the host with a magic cookie, offers the
 * protocol versions it speaks, and reads one line from the plugin's stdout saying where to connect.
 */

export const MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE";
export const MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/** go-plugin's own wire version (the handshake line's first field). */
export const CORE_PROTOCOL_VERSION = 1;
/** Terraform plugin protocol major version served. */
export const PLUGIN_PROTOCOL_VERSION = 6;

export type Environment = Readonly<Record<string, string | undefined>>;

export const RUN_BY_HAND_MESSAGE = [
  "This binary is a Terraform provider plugin (nestedvirt). It is not meant to be run directly.",
  "Terraform starts it by itself: declare the provider in a configuration and run `terraform init` and `terraform plan`.",
  "For a local build, point Terraform at it with a `dev_overrides` block in the CLI configuration.",
].join("\n");

export function startedByHost(env: Environment): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE;
}

/**
 * The version to serve given PLUGIN_PROTOCOL_VERSIONS (comma-separated, e.g. "5,6"), or
 * undefined when the host speaks none this provider does. No list means the host's default.
 */
export function negotiateProtocolVersion(env: Environment): number | undefined {
  const offered = env.PLUGIN_PROTOCOL_VERSIONS;
  if (offered === undefined || offered.trim() === "") return PLUGIN_PROTOCOL_VERSION;
  const versions = offered.split(",").map((v) => Number(v.trim()));
  return versions.includes(PLUGIN_PROTOCOL_VERSION) ? PLUGIN_PROTOCOL_VERSION : undefined;
}

const MAX_PORT_ATTEMPTS = 50;

/**
 * Ports to try: any free one (0) unless the host set PLUGIN_MIN_PORT/PLUGIN_MAX_PORT, then
 * random ones from that range so parallel plugins do not race for the same port.
 */
export function portCandidates(env: Environment, random: () => number = Math.random): number[] {
  const min = Number(env.PLUGIN_MIN_PORT ?? "0");
  const max = Number(env.PLUGIN_MAX_PORT ?? "0");
  if (!Number.isInteger(min) || !Number.isInteger(max) || max <= 0 || min > max || min < 0 || max > 65535) return [0];
  const range = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  for (let i = range.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [range[i], range[j]] = [range[j], range[i]];
  }
  return range.slice(0, MAX_PORT_ATTEMPTS);
}

/** `CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT`; the certificate field is empty without AutoMTLS. */
export function handshakeLine(port: number, serverCertificate = ""): string {
  return [CORE_PROTOCOL_VERSION, PLUGIN_PROTOCOL_VERSION, "tcp", `127.0.0.1:${port}`, "grpc", serverCertificate].join(
    "|",
  );
}
