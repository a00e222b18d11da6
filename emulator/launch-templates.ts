// Launch templates and their versions, as far as Auto Scaling groups and the launch-template check
// need them: which version is default and latest, and each version's CpuOptions.NestedVirtualization.

import { randomHex } from "./addresses";
import { Ec2Error } from "./errors";
import type { NestedVirtualization } from "./instances";

export interface LaunchTemplateVersionRecord {
  readonly versionNumber: number;
  readonly instanceType: string;
  /** CpuOptions.NestedVirtualization of this version; undefined when the version does not set it. */
  readonly nestedVirtualization?: NestedVirtualization;
}

export interface LaunchTemplateRecord {
  readonly launchTemplateId: string;
  readonly launchTemplateName: string;
  defaultVersion: number;
  readonly versions: LaunchTemplateVersionRecord[];
}

export interface SeedLaunchTemplateVersion {
  /** Default m8i.large. */
  instanceType?: string;
  nestedVirtualization?: NestedVirtualization;
}

export class LaunchTemplateStore {
  private readonly templates = new Map<string, LaunchTemplateRecord>();

  /** Creates a template with the given versions (numbered from 1); version 1 is the default. */
  add(name: string, versions: readonly SeedLaunchTemplateVersion[]): string {
    if ([...this.templates.values()].some((t) => t.launchTemplateName === name)) {
      throw new Error(`a launch template named ${name} already exists`);
    }
    const launchTemplateId = `lt-${randomHex(17)}`;
    const record: LaunchTemplateRecord = {
      launchTemplateId,
      launchTemplateName: name,
      defaultVersion: 1,
      versions: [],
    };
    this.templates.set(launchTemplateId, record);
    for (const version of versions.length > 0 ? versions : [{}]) this.addVersion(launchTemplateId, version);
    return launchTemplateId;
  }

  /** A new version (the latest); returns its number. */
  addVersion(launchTemplateId: string, version: SeedLaunchTemplateVersion): number {
    const record = this.require(launchTemplateId);
    const versionNumber = record.versions.length + 1;
    record.versions.push({
      versionNumber,
      instanceType: version.instanceType ?? "m8i.large",
      ...(version.nestedVirtualization ? { nestedVirtualization: version.nestedVirtualization } : {}),
    });
    return versionNumber;
  }

  setDefaultVersion(launchTemplateId: string, versionNumber: number): void {
    const record = this.require(launchTemplateId);
    if (!record.versions.some((v) => v.versionNumber === versionNumber)) {
      throw new Error(`launch template ${launchTemplateId} has no version ${versionNumber}`);
    }
    record.defaultVersion = versionNumber;
  }

  /** By ID or by name, as EC2 accepts either; throws EC2's error for an unknown template. */
  find(idOrName: { id?: string; name?: string }): LaunchTemplateRecord {
    const found = idOrName.id
      ? this.templates.get(idOrName.id)
      : [...this.templates.values()].find((t) => t.launchTemplateName === idOrName.name);
    if (found) return found;
    if (idOrName.id) {
      throw new Ec2Error(
        "InvalidLaunchTemplateId.NotFound",
        `The specified launch template, with template ID ${idOrName.id}, does not exist.`,
      );
    }
    throw new Ec2Error(
      "InvalidLaunchTemplateName.NotFoundException",
      `The specified launch template, with template name ${idOrName.name ?? ""}, does not exist.`,
    );
  }

  /** The version `spec` names: a number, `$Default` or `$Latest` (absent means `$Default`). */
  resolve(record: LaunchTemplateRecord, spec: string | undefined): LaunchTemplateVersionRecord {
    const number =
      spec === undefined || spec === "$Default"
        ? record.defaultVersion
        : spec === "$Latest"
          ? record.versions.length
          : Number(spec);
    const version = record.versions.find((v) => v.versionNumber === number);
    if (!version) {
      throw new Ec2Error(
        "InvalidLaunchTemplateId.VersionNotFound",
        `Could not find launch template version ${spec} for launch template ${record.launchTemplateId}.`,
      );
    }
    return version;
  }

  require(launchTemplateId: string): LaunchTemplateRecord {
    const record = this.templates.get(launchTemplateId);
    if (!record) throw new Error(`no such launch template ${launchTemplateId}`);
    return record;
  }
}
