/**
 * Just enough of the PE format to drop Node.js's Authenticode signature before injecting (the
 * injection would leave it invalid, which Windows reports more loudly than no signature) and to
 * read the headers back.
 */

const PE_SIGNATURE = 0x00004550; // "PE\0\0"
const OPTIONAL_HEADER_PE32_PLUS = 0x20b;
/** Data directory 4: the attribute certificate table; its "address" is a file offset. */
const CERTIFICATE_TABLE = 4;

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;

export interface PeFile {
  machine: number;
  optionalHeaderMagic: number;
  sections: string[];
  certificateTable: { offset: number; size: number };
}

function peHeaderOffset(file: Buffer): number {
  if (file.length < 0x40 || file.toString("latin1", 0, 2) !== "MZ") throw new Error("not a PE file (no MZ header)");
  const offset = file.readUInt32LE(0x3c);
  if (file.readUInt32LE(offset) !== PE_SIGNATURE) throw new Error("not a PE file (no PE signature)");
  return offset;
}

function certificateDirectoryOffset(file: Buffer, peOffset: number): number {
  const optionalHeader = peOffset + 24;
  if (file.readUInt16LE(optionalHeader) !== OPTIONAL_HEADER_PE32_PLUS) throw new Error("not a PE32+ (64-bit) image");
  return optionalHeader + 112 + CERTIFICATE_TABLE * 8;
}

export function readPe(file: Buffer): PeFile {
  const peOffset = peHeaderOffset(file);
  const sectionCount = file.readUInt16LE(peOffset + 6);
  const optionalHeaderSize = file.readUInt16LE(peOffset + 20);
  const sectionTable = peOffset + 24 + optionalHeaderSize;
  const directory = certificateDirectoryOffset(file, peOffset);
  return {
    machine: file.readUInt16LE(peOffset + 4),
    optionalHeaderMagic: file.readUInt16LE(peOffset + 24),
    sections: Array.from({ length: sectionCount }, (_, i) =>
      file.toString("latin1", sectionTable + i * 40, sectionTable + i * 40 + 8).replace(/\0+$/, ""),
    ),
    certificateTable: { offset: file.readUInt32LE(directory), size: file.readUInt32LE(directory + 4) },
  };
}

/** The image without its certificate table (which Authenticode places at the end of the file). */
export function removeAuthenticodeSignature(input: Buffer): Buffer {
  const directory = certificateDirectoryOffset(input, peHeaderOffset(input));
  const offset = input.readUInt32LE(directory);
  const size = input.readUInt32LE(directory + 4);
  if (size === 0) return input;
  if (offset + size < input.length - 8)
    throw new Error("the certificate table does not end the file; cannot remove it");
  const file = Buffer.from(input.subarray(0, offset));
  file.writeUInt32LE(0, directory);
  file.writeUInt32LE(0, directory + 4);
  return file;
}
