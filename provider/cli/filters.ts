import type { Filter } from "@aws-sdk/client-ec2";
import { UsageError } from "./exit";

const SHORTHAND = /^Name=([^,]+),Values=(.+)$/;

/**
 * One `--filter` in the AWS CLI's shorthand, `Name=tag:Role,Values=ci-runner,build` (values are
 * comma-separated and may use EC2's `*` and `?` wildcards), or its JSON form
 * `{"Name":"tag:Role","Values":["ci-runner"]}`.
 */
export function parseFilter(text: string): Filter {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return parseJsonFilter(text);
  const match = SHORTHAND.exec(trimmed);
  const values = match?.[2].split(",") ?? [];
  if (!match || values.some((v) => v === "")) {
    throw new UsageError(
      `--filter ${JSON.stringify(text)} is not a filter: write it as the AWS CLI does, Name=NAME,Values=VALUE[,VALUE…], for example --filter Name=tag:Role,Values=ci-runner.`,
    );
  }
  return { Name: match[1], Values: values };
}

function parseJsonFilter(text: string): Filter {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const filter = parsed as { Name?: unknown; Values?: unknown } | undefined;
  const values = filter?.Values;
  if (
    typeof filter?.Name !== "string" ||
    filter.Name === "" ||
    !Array.isArray(values) ||
    values.length === 0 ||
    !values.every((v) => typeof v === "string" && v !== "")
  ) {
    throw new UsageError(
      `--filter ${JSON.stringify(text)} is not a filter: JSON filters need a "Name" and a non-empty "Values" list of strings, for example {"Name":"tag:Role","Values":["ci-runner"]}.`,
    );
  }
  return { Name: filter.Name, Values: values as string[] };
}

/** A filter as the user would write it again, for messages. */
export function describeFilter(filter: Filter): string {
  return `Name=${filter.Name},Values=${(filter.Values ?? []).join(",")}`;
}
