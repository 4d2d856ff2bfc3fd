import { XMLParser, XMLValidator } from 'fast-xml-parser';

import { malformedXml } from './s3-error';

/** XML namespace of S3 response documents. */
export const S3_XML_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Child of an XML element: text, a nested element, or nothing (skipped when rendered). */
export type XmlChild = XmlElement | string | undefined;

/** XML element with its children in document order. */
export interface XmlElement {
  name: string;
  children: XmlChild[];
  namespace?: string;
}

/** Creates an element. Undefined children are dropped, so optional fields can be passed inline. */
export function element(name: string, ...children: XmlChild[]): XmlElement {
  return { name, children };
}

/** Creates an element only when `value` is defined: a shorthand for optional response fields. */
export function optionalElement(name: string, value: string | undefined): XmlElement | undefined {
  return value === undefined ? undefined : element(name, value);
}

// Carriage returns and other C0 controls are written as character references, because XML
// parsers normalize a raw CR to LF and reject the other controls, and keys may contain them.
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for use as XML character data. */
export function escapeXml(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[&<>"'\u0000-\u0008\u000b-\u001f]|\r/g, (character) => {
    return ESCAPES[character] ?? `&#x${character.charCodeAt(0).toString(16).toUpperCase()};`;
  });
}

function renderElement(node: XmlElement, parts: string[]): void {
  const namespace = node.namespace === undefined ? '' : ` xmlns="${node.namespace}"`;
  parts.push(`<${node.name}${namespace}>`);
  for (const child of node.children) {
    if (child === undefined) {
      continue;
    }
    if (typeof child === 'string') {
      parts.push(escapeXml(child));
    } else {
      renderElement(child, parts);
    }
  }
  parts.push(`</${node.name}>`);
}

/** Renders a complete XML document whose root element carries the S3 namespace. */
export function renderS3Document(root: XmlElement, namespace = S3_XML_NAMESPACE): string {
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  renderElement({ ...root, namespace: namespace === '' ? undefined : namespace }, parts);
  return parts.join('');
}

/** Parsed XML value: text, a nested record, or a list where the element may repeat. */
export type XmlValue = string | XmlRecord | XmlValue[];

/** Parsed XML element children by name. */
export interface XmlRecord {
  [name: string]: XmlValue;
}

const REPEATED_ELEMENTS = new Set(['Object', 'Part']);

// Whitespace is kept because object keys may begin or end with spaces. Numeric character
// references such as &#x0A; are decoded (`htmlEntities`) because the AWS SDKs write line
// breaks in keys that way.
const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  removeNSPrefix: true,
  isArray: (name) => REPEATED_ELEMENTS.has(name),
});

/**
 * Parses a request body and returns the children of its root element named `rootName`.
 * Throws MalformedXML when the body is not well-formed or has another root.
 */
export function parseRequestXml(body: Buffer, rootName: string): XmlRecord {
  const text = body.toString('utf8');
  if (text.trim() === '' || XMLValidator.validate(text) !== true) {
    throw malformedXml();
  }

  const document: unknown = parser.parse(text);
  if (!isRecord(document)) {
    throw malformedXml();
  }

  const root = document[rootName];
  if (root === '') {
    return {};
  }
  if (!isRecord(root)) {
    throw malformedXml();
  }
  return root;
}

/** Tells whether a parsed value is an element with children. */
export function isRecord(value: unknown): value is XmlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the text of child `name`, or undefined when absent. Empty elements read as ''. */
export function childText(record: XmlRecord, name: string): string | undefined {
  const value = record[name];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw malformedXml();
  }
  return value;
}

/** Returns the repeated children `name` as records. Empty elements read as empty records. */
export function childRecords(record: XmlRecord, name: string): XmlRecord[] {
  const value = record[name];
  if (value === undefined) {
    return [];
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => {
    if (item === '') {
      return {};
    }
    if (!isRecord(item)) {
      throw malformedXml();
    }
    return item;
  });
}
