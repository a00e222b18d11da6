import { NestedVirtError } from "./errors";

/**
 * The one rule for an instance declared by two resources of one run (a Pulumi program, a Terraform
 * configuration): each instance is managed by exactly one resource, so the second declaration of an
 * instance in a run is an error, found before anything is touched. Every front end keeps one
 * `Declarations` per run (its process) and only says how its resources are called.
 */

/** How a front end's resources are called in the error message. */
export interface DeclarationWording {
  /** The resource type as the user writes it: `NestedVirtEnablement`, `nestedvirt_enablement`. */
  resourceType: string;
  /** What the user wrote them in: `program`, `configuration`. */
  scope: string;
  /** A sentence added after the description, e.g. where the tool shows the error. */
  note?: string;
}

/** One resource of the run naming an instance. */
export interface Declaration {
  region: string | undefined;
  instanceId: string;
  /**
   * The resource's name, when the front end knows it (Pulumi does; Terraform does not tell a
   * provider which resource it plans, so each plan there is a declaration of its own).
   */
  resourceName?: string;
}

/** Two or more resources of one run declare the same instance. */
export class DuplicateDeclarationError extends NestedVirtError {
  constructor(
    instanceId: string,
    wording: DeclarationWording,
    /** The declaring resources' names, sorted; empty when the front end does not know them. */
    readonly resourceNames: readonly string[],
  ) {
    const by =
      resourceNames.length >= 2
        ? `by ${resourceNames.length === 2 ? "two" : resourceNames.length} ${wording.resourceType} resources in this ${wording.scope}, ${resourceNames.map((n) => `"${n}"`).join(" and ")}.`
        : `by more than one ${wording.resourceType} resource in this ${wording.scope}.`;
    super(
      "DuplicateDeclaration",
      `Instance ${instanceId} is declared ${by}${wording.note ? ` ${wording.note}` : ""} Each instance must be managed by exactly one resource (two would stop it twice, or fight over the setting): remove all but one.`,
      instanceId,
    );
  }
}

/** A recorded declaration, to ask for the verdict on later. */
export interface Recorded {
  readonly key: string;
  readonly instanceId: string;
}

/** The declarations of one run, by region and instance. */
export class Declarations {
  private readonly byInstance = new Map<string, Set<string>>();
  /** Declarations without a name are told apart by a counter. */
  private anonymous = 0;

  constructor(private readonly wording: DeclarationWording) {}

  /**
   * Records the declaration now; `verdict` tells later whether another resource of the run declared
   * the instance too. The same resource declaring again (Pulumi checks a resource more than once) is
   * no duplicate.
   */
  record(declaration: Declaration): Recorded {
    const key = `${declaration.region ?? ""}/${declaration.instanceId}`;
    const resources = this.byInstance.get(key) ?? new Set<string>();
    this.byInstance.set(key, resources);
    resources.add(declaration.resourceName ?? `\0${++this.anonymous}`);
    return { key, instanceId: declaration.instanceId };
  }

  /**
   * The error when more than one resource declared the instance. `twinWindowMs`: a declaration
   * alone so far waits that long for a twin planned at the same moment (Terraform plans independent
   * resources in parallel), so that both get the error.
   */
  async verdict(recorded: Recorded, twinWindowMs = 0): Promise<DuplicateDeclarationError | undefined> {
    const resources = this.byInstance.get(recorded.key) ?? new Set<string>();
    if (resources.size === 1 && twinWindowMs > 0) await new Promise((resolve) => setTimeout(resolve, twinWindowMs));
    if (resources.size <= 1) return undefined;
    const names = [...resources].filter((name) => !name.startsWith("\0")).sort();
    return new DuplicateDeclarationError(
      recorded.instanceId,
      this.wording,
      names.length === resources.size ? names : [],
    );
  }

  /** `record`, then `verdict` at once. */
  declare(declaration: Declaration, twinWindowMs = 0): Promise<DuplicateDeclarationError | undefined> {
    return this.verdict(this.record(declaration), twinWindowMs);
  }
}
