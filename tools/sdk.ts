/**
 * `npm run sdk`: writes the plugin's Go, Python and TypeScript SDKs (sdk/go, sdk/python,
 * sdk/nodejs) from its package schema with tools/build/sdkgen (Pulumi's code generators). The generated
 * files are committed; tests/e2e/sdks.test.ts fails when they differ from what the schema gives.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageVersion } from "../provider/plugin/provider";
import { pulumiSchema } from "../provider/plugin/schema";
import { repoRoot } from "./cli/paths";

export const SDK_LANGUAGES = ["go", "python", "nodejs"] as const;

/** Files we keep next to the generated ones (the Go module's go.mod and go.sum). */
export const HAND_KEPT = new Set(["go/go.mod", "go/go.sum"]);

/** Builds (or finds in the cache) tools/build/sdkgen; returns the directory holding it. */
export function setupSdkgen(): string {
  const out = execFileSync("bash", [path.join(repoRoot(), "tools", "build", "setup-sdkgen.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop() ?? "";
}

/** Generates the SDKs into `outDir/<language>`. */
export function generateSdks(outDir: string): void {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-sdkgen-"));
  try {
    const schemaFile = path.join(work, "schema.json");
    fs.writeFileSync(schemaFile, JSON.stringify(pulumiSchema(packageVersion()), null, 2));
    execFileSync(path.join(setupSdkgen(), "sdkgen"), [schemaFile, outDir], { stdio: "inherit" });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

if (require.main === module) {
  const sdkDir = path.join(repoRoot(), "sdk");
  const fresh = fs.mkdtempSync(path.join(os.tmpdir(), "nestedvirt-sdk-"));
  generateSdks(fresh);
  for (const language of SDK_LANGUAGES) {
    const target = path.join(sdkDir, language);
    for (const file of filesUnder(target)) {
      if (!HAND_KEPT.has(`${language}/${file}`)) fs.rmSync(path.join(target, file));
    }
    fs.cpSync(path.join(fresh, language), target, { recursive: true });
  }
  fs.rmSync(fresh, { recursive: true, force: true });
  console.log(`wrote ${SDK_LANGUAGES.map((l) => `sdk/${l}`).join(", ")}`);
}
