import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";

/**
 * Reads plain `aws:region` / `aws:profile` values from the stack's config file. The engine passes a
 * provider only its own namespace (`nestedvirt:*`), so this is how the plugin honours the settings
 * `@pulumi/aws` users already have. The CLI starts the plugin in the project directory; the stack's
 * name is in every resource URN. Secrets, ESC environments and config kept by a backend are not
 * read: set `nestedvirt:region` / `nestedvirt:profile` there.
 */
export interface AwsStackSettings {
  region?: string;
  profile?: string;
}

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → the stack name. */
export function stackOfUrn(urn: string): string | undefined {
  return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1];
}

type ConfigMap = Record<string, unknown>;

function readYaml(file: string): ConfigMap | undefined {
  try {
    const parsed = yaml.load(fs.readFileSync(file, "utf8"));
    return parsed && typeof parsed === "object" ? (parsed as ConfigMap) : undefined;
  } catch {
    return undefined;
  }
}

/** A plain string value; a project-level entry may be `{ value: … }` or `{ default: … }`. */
function plainString(entry: unknown): string | undefined {
  if (typeof entry === "string" && entry !== "") return entry;
  if (entry && typeof entry === "object") {
    const object = entry as ConfigMap;
    return plainString(object.value) ?? plainString(object.default);
  }
  return undefined;
}

export function readAwsStackSettings(projectDir: string, stack: string): AwsStackSettings {
  const project = readYaml(path.join(projectDir, "Pulumi.yaml")) ?? {};
  const configDir = typeof project.stackConfigDir === "string" ? project.stackConfigDir : ".";
  const stackFile = readYaml(path.join(projectDir, configDir, `Pulumi.${stack}.yaml`)) ?? {};
  const stackConfig = (stackFile.config ?? {}) as ConfigMap;
  const projectConfig = (project.config ?? {}) as ConfigMap;
  const value = (key: string) => plainString(stackConfig[key]) ?? plainString(projectConfig[key]);
  return { region: value("aws:region"), profile: value("aws:profile") };
}
