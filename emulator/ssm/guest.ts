// The guest operating system as an in-guest check sees it: whether a managed SSM agent is
// registered, and what /dev/kvm, /proc/cpuinfo and Win32_Processor show. What the guest shows
// follows from the instance: the CPU advertises vmx only while it runs with
// NestedVirtualization=enabled, and /dev/kvm exists only when the kernel has its kvm modules too.

import type { InstanceRecord } from "../instances";

export interface GuestSettings {
  /** `online`: a managed SSM agent is registered (it pings while the instance runs); `none`: no agent. */
  ssmAgent: "online" | "none";
  /** The guest kernel has the kvm modules (Linux), so /dev/kvm appears once the CPU offers vmx. */
  kvmModule: boolean;
}

export const DEFAULT_GUEST: GuestSettings = { ssmAgent: "online", kvmModule: true };

/** What a script running in the guest observes. */
export interface GuestView {
  readonly files: ReadonlySet<string>;
  /** The `flags` line of /proc/cpuinfo, word by word. */
  readonly cpuFlags: readonly string[];
  /** Win32_Processor.VirtualizationFirmwareEnabled. */
  readonly virtualizationFirmwareEnabled: boolean;
  readonly platform: "linux" | "windows";
}

/** Flags an Intel guest on Nitro shows without nested virtualization (abridged). */
const BASE_CPU_FLAGS = [
  "fpu",
  "vme",
  "de",
  "pse",
  "tsc",
  "msr",
  "pae",
  "mce",
  "cx8",
  "apic",
  "sep",
  "mtrr",
  "pge",
  "mca",
  "cmov",
  "pat",
  "clflush",
  "mmx",
  "fxsr",
  "sse",
  "sse2",
  "ht",
  "syscall",
  "nx",
  "lm",
  "constant_tsc",
  "pni",
  "ssse3",
  "sse4_1",
  "sse4_2",
  "x2apic",
  "aes",
  "xsave",
  "avx",
  "hypervisor",
  "avx2",
  "avx512f",
];

export function guestView(record: InstanceRecord, settings: GuestSettings): GuestView {
  const vmx = record.state === "running" && record.nestedVirtualization === "enabled";
  const files = new Set(["/proc/cpuinfo", "/dev/null"]);
  if (vmx && settings.kvmModule) files.add("/dev/kvm");
  return {
    files,
    cpuFlags: vmx ? [...BASE_CPU_FLAGS.slice(0, 5), "vmx", ...BASE_CPU_FLAGS.slice(5)] : BASE_CPU_FLAGS,
    virtualizationFirmwareEnabled: vmx,
    platform: record.platform,
  };
}
