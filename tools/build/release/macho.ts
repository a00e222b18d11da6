import { createHash } from "node:crypto";

/**
 * Just enough of the Mach-O format (64-bit, thin, little-endian) to replace Node.js's Developer ID
 * signature by an ad-hoc one, which Apple silicon requires before it runs any code, and to check
 * such a signature. Field layouts follow <mach-o/loader.h> and the code signing blobs of
 * <Kernel/kern/cs_blobs.h>; blobs are big-endian.
 */

const MH_MAGIC_64 = 0xfeedfacf;
const MACH_HEADER_64_SIZE = 32;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const LINKEDIT_COMMAND_SIZE = 16;
const SEGMENT_COMMAND_64_SIZE = 72;
const SECTION_64_SIZE = 80;

const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_REQUIREMENTS = 0xfade0c01;
const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_REQUIREMENTS = 2;
const CSSLOT_SIGNATURESLOT = 0x10000;
const CS_ADHOC = 0x2;
const CS_HASHTYPE_SHA256 = 2;
const CS_EXECSEG_MAIN_BINARY = 0x1;
/** CodeDirectory version with the executable-segment fields. */
const CODEDIRECTORY_VERSION = 0x20400;
const CODEDIRECTORY_HEADER_SIZE = 88;
const PAGE_SIZE_LOG2 = 12;
const PAGE_SIZE = 1 << PAGE_SIZE_LOG2;
const HASH_SIZE = 32;
/** Segment alignment that suits both x86_64 (4 KiB pages) and arm64 (16 KiB pages). */
const SEGMENT_ALIGN = 0x4000;
/** Slots -1 (Info.plist, none) and -2 (requirements). */
const SPECIAL_SLOTS = 2;

interface Segment {
  name: string;
  /** Offset of the segment_command_64 in the file. */
  commandOffset: number;
  fileOffset: number;
  fileSize: number;
  sectionOffsets: number[];
}

export interface MachOFile {
  cpuType: number;
  fileType: number;
  commandCount: number;
  commandsSize: number;
  segments: Segment[];
  codeSignature?: { commandOffset: number; dataOffset: number; dataSize: number };
}

export const CPU_TYPE_X86_64 = 0x01000007;
export const CPU_TYPE_ARM64 = 0x0100000c;
export const MH_EXECUTE = 2;

const align = (value: number, to: number) => Math.ceil(value / to) * to;

export function isMachO64(file: Buffer): boolean {
  return file.length >= MACH_HEADER_64_SIZE && file.readUInt32LE(0) === MH_MAGIC_64;
}

export function readMachO(file: Buffer): MachOFile {
  if (!isMachO64(file)) throw new Error("not a thin 64-bit little-endian Mach-O file");
  const commandCount = file.readUInt32LE(16);
  const result: MachOFile = {
    cpuType: file.readUInt32LE(4),
    fileType: file.readUInt32LE(12),
    commandCount,
    commandsSize: file.readUInt32LE(20),
    segments: [],
  };
  let offset = MACH_HEADER_64_SIZE;
  for (let i = 0; i < commandCount; i++) {
    const command = file.readUInt32LE(offset);
    const size = file.readUInt32LE(offset + 4);
    if (command === LC_SEGMENT_64) {
      const sections = file.readUInt32LE(offset + 64);
      result.segments.push({
        name: file.toString("latin1", offset + 8, offset + 24).replace(/\0+$/, ""),
        commandOffset: offset,
        fileOffset: Number(file.readBigUInt64LE(offset + 40)),
        fileSize: Number(file.readBigUInt64LE(offset + 48)),
        sectionOffsets: Array.from({ length: sections }, (_, s) =>
          file.readUInt32LE(offset + SEGMENT_COMMAND_64_SIZE + s * SECTION_64_SIZE + 48),
        ),
      });
    } else if (command === LC_CODE_SIGNATURE) {
      result.codeSignature = {
        commandOffset: offset,
        dataOffset: file.readUInt32LE(offset + 8),
        dataSize: file.readUInt32LE(offset + 12),
      };
    }
    offset += size;
  }
  return result;
}

function segment(macho: MachOFile, name: string): Segment {
  const found = macho.segments.find((s) => s.name === name);
  if (!found) throw new Error(`Mach-O file has no ${name} segment`);
  return found;
}

function setLinkeditFileSize(file: Buffer, linkedit: Segment, fileSize: number): void {
  file.writeBigUInt64LE(BigInt(fileSize), linkedit.commandOffset + 48);
  file.writeBigUInt64LE(BigInt(align(fileSize, SEGMENT_ALIGN)), linkedit.commandOffset + 32);
}

/**
 * The file without its code signature: the signature data (the tail of __LINKEDIT) cut off and
 * LC_CODE_SIGNATURE removed, as `codesign --remove-signature` leaves it. Injecting into a signed
 * binary would otherwise leave a signature that no longer matches.
 */
export function removeCodeSignature(input: Buffer): Buffer {
  const macho = readMachO(input);
  const signature = macho.codeSignature;
  if (!signature) return input;
  const linkedit = segment(macho, "__LINKEDIT");
  if (signature.dataOffset + signature.dataSize < input.length - 16 || signature.dataOffset < linkedit.fileOffset) {
    throw new Error("the code signature is not at the end of __LINKEDIT; cannot remove it");
  }
  const file = Buffer.from(input.subarray(0, signature.dataOffset));
  const commandsEnd = MACH_HEADER_64_SIZE + macho.commandsSize;
  const next = signature.commandOffset + LINKEDIT_COMMAND_SIZE;
  file.copy(file, signature.commandOffset, next, commandsEnd);
  file.fill(0, commandsEnd - LINKEDIT_COMMAND_SIZE, commandsEnd);
  file.writeUInt32LE(macho.commandCount - 1, 16);
  file.writeUInt32LE(macho.commandsSize - LINKEDIT_COMMAND_SIZE, 20);
  setLinkeditFileSize(file, linkedit, signature.dataOffset - linkedit.fileOffset);
  return file;
}

function blobHeader(magic: number, length: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(magic, 0);
  header.writeUInt32BE(length, 4);
  return header;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

/** An empty requirement set: an ad-hoc signature designates no signer. */
const EMPTY_REQUIREMENTS = Buffer.concat([blobHeader(CSMAGIC_REQUIREMENTS, 12), Buffer.alloc(4)]);
/** An empty CMS blob: ad-hoc signatures carry no certificate. */
const EMPTY_CMS = blobHeader(CSMAGIC_BLOBWRAPPER, 8);

/**
 * Signs an unsigned executable ad hoc: a CodeDirectory with the SHA-256 of every 4 KiB page up to
 * the signature, in a SuperBlob appended at the end of __LINKEDIT, and LC_CODE_SIGNATURE pointing
 * at it. This is what `codesign --sign -` writes for a plain executable (no entitlements, no
 * hardened runtime), so the kernel accepts the pages as they are.
 */
export function signAdHoc(input: Buffer, identifier: string): Buffer {
  const macho = readMachO(input);
  if (macho.codeSignature) throw new Error("the file is already signed; remove the signature first");
  const linkedit = segment(macho, "__LINKEDIT");
  const text = segment(macho, "__TEXT");
  if (linkedit.fileOffset + linkedit.fileSize !== input.length) {
    throw new Error("__LINKEDIT does not end the file; the signature has to go there");
  }
  const commandsEnd = MACH_HEADER_64_SIZE + macho.commandsSize;
  const firstSection = Math.min(...macho.segments.flatMap((s) => s.sectionOffsets.filter((o) => o > 0)));
  if (commandsEnd + LINKEDIT_COMMAND_SIZE > firstSection) {
    throw new Error("no room for LC_CODE_SIGNATURE between the load commands and the first section");
  }

  const codeLimit = align(input.length, 16);
  const pages = Math.ceil(codeLimit / PAGE_SIZE);
  const ident = Buffer.from(`${identifier}\0`, "utf8");
  const hashOffset = CODEDIRECTORY_HEADER_SIZE + ident.length + SPECIAL_SLOTS * HASH_SIZE;
  const directoryLength = hashOffset + pages * HASH_SIZE;
  const indexSize = 12 + 3 * 8;
  const signatureLength = indexSize + directoryLength + EMPTY_REQUIREMENTS.length + EMPTY_CMS.length;
  const signatureSize = align(signatureLength, 16);

  const file = Buffer.alloc(codeLimit + signatureSize);
  input.copy(file);
  file.writeUInt32LE(LC_CODE_SIGNATURE, commandsEnd);
  file.writeUInt32LE(LINKEDIT_COMMAND_SIZE, commandsEnd + 4);
  file.writeUInt32LE(codeLimit, commandsEnd + 8);
  file.writeUInt32LE(signatureSize, commandsEnd + 12);
  file.writeUInt32LE(macho.commandCount + 1, 16);
  file.writeUInt32LE(macho.commandsSize + LINKEDIT_COMMAND_SIZE, 20);
  setLinkeditFileSize(file, linkedit, codeLimit + signatureSize - linkedit.fileOffset);

  const directory = Buffer.alloc(directoryLength);
  blobHeader(CSMAGIC_CODEDIRECTORY, directoryLength).copy(directory, 0);
  directory.writeUInt32BE(CODEDIRECTORY_VERSION, 8);
  directory.writeUInt32BE(CS_ADHOC, 12);
  directory.writeUInt32BE(hashOffset, 16);
  directory.writeUInt32BE(CODEDIRECTORY_HEADER_SIZE, 20); // identOffset
  directory.writeUInt32BE(SPECIAL_SLOTS, 24);
  directory.writeUInt32BE(pages, 28);
  directory.writeUInt32BE(codeLimit, 32);
  directory.writeUInt8(HASH_SIZE, 36);
  directory.writeUInt8(CS_HASHTYPE_SHA256, 37);
  directory.writeUInt8(0, 38); // platform
  directory.writeUInt8(PAGE_SIZE_LOG2, 39);
  // 40 spare2, 44 scatterOffset, 48 teamOffset, 52 spare3, 56 codeLimit64: all zero.
  directory.writeBigUInt64BE(BigInt(text.fileOffset), 64); // execSegBase
  directory.writeBigUInt64BE(BigInt(text.fileSize), 72); // execSegLimit
  directory.writeBigUInt64BE(BigInt(CS_EXECSEG_MAIN_BINARY), 80);
  ident.copy(directory, CODEDIRECTORY_HEADER_SIZE);
  // Special slots sit just below hashOffset, slot -n at hashOffset - n * HASH_SIZE; -1 stays zero.
  sha256(EMPTY_REQUIREMENTS).copy(directory, hashOffset - 2 * HASH_SIZE);
  for (let page = 0; page < pages; page++) {
    const start = page * PAGE_SIZE;
    sha256(file.subarray(start, Math.min(start + PAGE_SIZE, codeLimit))).copy(directory, hashOffset + page * HASH_SIZE);
  }

  const superBlob = Buffer.alloc(signatureLength);
  blobHeader(CSMAGIC_EMBEDDED_SIGNATURE, signatureLength).copy(superBlob, 0);
  superBlob.writeUInt32BE(3, 8);
  const blobs: [number, Buffer][] = [
    [CSSLOT_CODEDIRECTORY, directory],
    [CSSLOT_REQUIREMENTS, EMPTY_REQUIREMENTS],
    [CSSLOT_SIGNATURESLOT, EMPTY_CMS],
  ];
  let offset = indexSize;
  blobs.forEach(([slot, blob], i) => {
    superBlob.writeUInt32BE(slot, 12 + i * 8);
    superBlob.writeUInt32BE(offset, 16 + i * 8);
    blob.copy(superBlob, offset);
    offset += blob.length;
  });
  superBlob.copy(file, codeLimit);
  return file;
}

export interface CodeSignatureCheck {
  identifier: string;
  adHoc: boolean;
  hashType: number;
  pages: number;
  /** Pages whose SHA-256 differs from the CodeDirectory's. */
  mismatchedPages: number[];
  requirementsHashMatches: boolean;
}

/** Reads the embedded signature and recomputes every hash it lists, as the kernel would. */
export function checkCodeSignature(file: Buffer): CodeSignatureCheck {
  const signature = readMachO(file).codeSignature;
  if (!signature) throw new Error("no LC_CODE_SIGNATURE");
  const blob = file.subarray(signature.dataOffset, signature.dataOffset + signature.dataSize);
  if (blob.readUInt32BE(0) !== CSMAGIC_EMBEDDED_SIGNATURE)
    throw new Error("the signature is not an embedded SuperBlob");
  const slots = new Map<number, Buffer>();
  for (let i = 0; i < blob.readUInt32BE(8); i++) {
    const offset = blob.readUInt32BE(16 + i * 8);
    slots.set(blob.readUInt32BE(12 + i * 8), blob.subarray(offset, offset + blob.readUInt32BE(offset + 4)));
  }
  const directory = slots.get(CSSLOT_CODEDIRECTORY);
  if (!directory || directory.readUInt32BE(0) !== CSMAGIC_CODEDIRECTORY) throw new Error("no CodeDirectory");
  const hashOffset = directory.readUInt32BE(16);
  const identOffset = directory.readUInt32BE(20);
  const pages = directory.readUInt32BE(28);
  const codeLimit = directory.readUInt32BE(32);
  const hashSize = directory.readUInt8(36);
  const pageSize = 1 << directory.readUInt8(39);
  const mismatchedPages: number[] = [];
  for (let page = 0; page < pages; page++) {
    const start = page * pageSize;
    const expected = directory.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
    if (!sha256(file.subarray(start, Math.min(start + pageSize, codeLimit))).equals(expected)) {
      mismatchedPages.push(page);
    }
  }
  const requirements = slots.get(CSSLOT_REQUIREMENTS);
  const requirementsSlot = directory.subarray(hashOffset - 2 * hashSize, hashOffset - hashSize);
  return {
    identifier: directory.toString("utf8", identOffset, directory.indexOf(0, identOffset)),
    adHoc: (directory.readUInt32BE(12) & CS_ADHOC) !== 0,
    hashType: directory.readUInt8(37),
    pages,
    mismatchedPages,
    requirementsHashMatches: requirements !== undefined && sha256(requirements).equals(requirementsSlot),
  };
}
