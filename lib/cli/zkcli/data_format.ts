/**
 * Znode data as the shell shows and accepts it: `text` (UTF-8, zkCli's only form), `hex` or
 * `base64`. Text is lossy for binary data (invalid UTF-8 turns into U+FFFD, as zkCli shows it),
 * so `get --format hex|base64` and `set/create --format hex|base64` exist to move any bytes
 * through the shell unchanged.
 */

import { Buffer } from "node:buffer";

export type DataFormat = "text" | "hex" | "base64";

export const DATA_FORMATS: readonly DataFormat[] = ["text", "hex", "base64"];

/** A --format value the shell cannot use; the message is the one line the user sees. */
export class DataFormatError extends Error {
  override name = "DataFormatError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The format named by a --format value (undefined: the default, text). */
export function parseDataFormat(name: string | undefined): DataFormat {
  if (name === undefined) return "text";
  const format = DATA_FORMATS.find((f) => f === name.toLowerCase());
  if (format === undefined) {
    throw new DataFormatError(`unknown data format '${name}' (use ${DATA_FORMATS.join(", ")})`);
  }
  return format;
}

/** Bytes as text in `format`. */
export function formatData(data: Uint8Array, format: DataFormat): string {
  switch (format) {
    case "text":
      return decoder.decode(data);
    case "hex":
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("hex");
    case "base64":
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  }
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
// Padding optional, as people paste unpadded base64 too; Buffer alone would skip bad characters.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Text in `format` as bytes; throws DataFormatError on malformed hex or base64. */
export function parseData(text: string, format: DataFormat): Uint8Array {
  switch (format) {
    case "text":
      return encoder.encode(text);
    case "hex": {
      const compact = text.startsWith("0x") ? text.slice(2) : text;
      if (!HEX.test(compact)) {
        throw new DataFormatError(`data is not hex (an even number of 0-9a-f digits): ${text}`);
      }
      return new Uint8Array(Buffer.from(compact, "hex"));
    }
    case "base64": {
      if (!BASE64.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
        throw new DataFormatError(`data is not base64: ${text}`);
      }
      return new Uint8Array(Buffer.from(text, "base64"));
    }
  }
}
