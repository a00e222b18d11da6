import type { StepKind } from "../../provider/engine";

/** The cycle of a running instance: journaled stop, modify, start. */
export const FULL_CYCLE: readonly StepKind[] = [
  "write-journal",
  "stop",
  "wait-stopped",
  "modify",
  "start",
  "wait-running",
  "clear-journal",
];

/** The cycle of a running, stop-protected instance with `stopProtection: lift`. */
export const LIFTED_CYCLE: readonly StepKind[] = [
  "write-journal",
  "lift-stop-protection",
  "stop",
  "wait-stopped",
  "modify",
  "start",
  "wait-running",
  "restore-stop-protection",
  "clear-journal",
];

/** Every mechanism at once (slot, standby, lift, health gate, guest check), each in its place. */
export const EVERY_MECHANISM_CYCLE: readonly StepKind[] = [
  "acquire-slot",
  "write-journal",
  "enter-standby",
  "wait-standby",
  "lift-stop-protection",
  "stop",
  "wait-stopped",
  "modify",
  "start",
  "wait-running",
  "restore-stop-protection",
  "wait-healthy",
  "verify-guest",
  "exit-standby",
  "wait-in-service",
  "clear-journal",
];
