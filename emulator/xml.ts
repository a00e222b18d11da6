// Minimal XML builder for EC2 Query responses. Elements whose value is
// undefined are omitted, which is how EC2 leaves out absent optional fields.

export type XmlValue = string | number | boolean | readonly XmlElement[] | undefined;

export interface XmlElement {
  readonly name: string;
  readonly value: XmlValue;
}

export const EC2_XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

export function el(name: string, value: XmlValue): XmlElement {
  return { name, value };
}

/**
 * An EC2 list: `<name><item>…</item><item>…</item></name>`. Nested lists are
 * omitted when empty; top-level result sets (emptyAs "element") render `<name/>`
 * as EC2 does, which the SDK turns into [].
 */
export function itemList(
  name: string,
  items: readonly (readonly XmlElement[])[],
  emptyAs: "omit" | "element" = "omit",
): XmlElement {
  if (items.length === 0) return el(name, emptyAs === "omit" ? undefined : []);
  return el(
    name,
    items.map((children) => el("item", children)),
  );
}

/** A list of scalars: `<name><item>a</item>…</name>`; omitted when empty. */
export function scalarList(name: string, values: readonly string[]): XmlElement {
  return el(name, values.length === 0 ? undefined : values.map((value) => el("item", value)));
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

export function renderElement(element: XmlElement): string {
  const { name, value } = element;
  if (value === undefined) return "";
  if (typeof value === "object") {
    return value.length === 0 ? `<${name}/>` : `<${name}>${value.map(renderElement).join("")}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function renderDocument(rootName: string, children: readonly XmlElement[], namespace?: string): string {
  const xmlns = namespace === undefined ? "" : ` xmlns="${namespace}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${rootName}${xmlns}>${children.map(renderElement).join("")}</${rootName}>`;
}
