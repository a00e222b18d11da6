// Simulated IAM: every action is allowed unless a test denies it.

export class Permissions {
  private readonly denied = new Set<string>();

  deny(action: string): void {
    this.denied.add(action);
  }

  allow(action: string): void {
    this.denied.delete(action);
  }

  allowAll(): void {
    this.denied.clear();
  }

  isAllowed(action: string): boolean {
    return !this.denied.has(action);
  }

  deniedActions(): string[] {
    return [...this.denied];
  }
}
