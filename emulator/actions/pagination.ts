import { Ec2Error } from "../errors";

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Offset-based NextToken pagination; everything in one page when maxResults is absent. */
export function paginate<T>(
  all: readonly T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  bounds: { min: number; max: number },
): Page<T> {
  const offset = nextToken === undefined ? 0 : decodeToken(nextToken);
  if (maxResults === undefined) return { items: all.slice(offset) };
  if (maxResults < bounds.min || maxResults > bounds.max) {
    throw new Ec2Error(
      "InvalidParameterValue",
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Expecting a value between ${bounds.min} and ${bounds.max}.`,
    );
  }
  const end = offset + maxResults;
  return { items: all.slice(offset, end), nextToken: end < all.length ? encodeToken(end) : undefined };
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), "utf8").toString("base64");
}

function decodeToken(token: string): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && "offset" in parsed && typeof parsed.offset === "number") {
      return parsed.offset;
    }
  } catch {
    // fall through to the EC2-style error
  }
  throw new Ec2Error("InvalidParameterValue", `The token '${token}' is invalid.`);
}
