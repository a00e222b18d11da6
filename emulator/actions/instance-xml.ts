// <item> body of an instance in DescribeInstances (names from the SDK's Instance schema).

import { privateDnsName, publicDnsName } from "../addresses";
import type { InstanceTypeCatalogue } from "../catalogue";
import { ACCOUNT_ID } from "../constants";
import { type InstanceRecord, STATE_CODES } from "../instances";
import { el, itemList, type XmlElement } from "../xml";

export function instanceStateXml(name: string, state: InstanceRecord["state"]): XmlElement {
  return el(name, [el("code", STATE_CODES[state]), el("name", state)]);
}

export function instanceXml(record: InstanceRecord, catalogue: InstanceTypeCatalogue, region: string): XmlElement[] {
  const typeInfo = catalogue.get(record.instanceType);
  const windows = record.platform === "windows";
  const launchTime = new Date(record.launchTime).toISOString();
  const privateDns = privateDnsName(record.privateIp, region);
  const association = publicAssociationXml(record, region);
  return [
    el("instanceId", record.instanceId),
    el("imageId", record.imageId),
    instanceStateXml("instanceState", record.state),
    el("privateDnsName", privateDns),
    el("dnsName", record.publicIp ? publicDnsName(record.publicIp, region) : ""),
    el("reason", record.stateTransitionReason),
    el("amiLaunchIndex", 0),
    el("instanceType", record.instanceType),
    el("launchTime", launchTime),
    el("placement", [el("availabilityZone", record.availabilityZone), el("groupName", ""), el("tenancy", "default")]),
    el("platform", windows ? "windows" : undefined),
    el("monitoring", [el("state", "disabled")]),
    el("subnetId", record.subnetId),
    el("vpcId", record.vpcId),
    el("privateIpAddress", record.privateIp),
    el("ipAddress", record.publicIp),
    el("sourceDestCheck", true),
    itemList("groupSet", [[el("groupId", "sg-0123456789abcdef0"), el("groupName", "default")]]),
    record.stateReason
      ? el("stateReason", [el("code", record.stateReason.code), el("message", record.stateReason.message)])
      : el("stateReason", undefined),
    el("architecture", typeInfo?.supportedArchitectures[0] ?? "x86_64"),
    el("rootDeviceType", record.rootDeviceType),
    el("rootDeviceName", windows ? "/dev/sda1" : "/dev/xvda"),
    el("instanceLifecycle", record.spot ? "spot" : undefined),
    el("spotInstanceRequestId", record.spotInstanceRequestId),
    el("virtualizationType", "hvm"),
    itemList(
      "tagSet",
      [...record.tags].map(([key, value]) => [el("key", key), el("value", value)]),
    ),
    // EC2 reports "xen" here even for Nitro instances.
    el("hypervisor", "xen"),
    itemList("networkInterfaceSet", [
      [
        el("networkInterfaceId", record.networkInterfaceId),
        el("subnetId", record.subnetId),
        el("vpcId", record.vpcId),
        el("description", ""),
        el("ownerId", ACCOUNT_ID),
        el("status", "in-use"),
        el("privateIpAddress", record.privateIp),
        el("privateDnsName", privateDns),
        el("sourceDestCheck", true),
        el("interfaceType", "interface"),
        itemList("groupSet", [[el("groupId", "sg-0123456789abcdef0"), el("groupName", "default")]]),
        el("attachment", [
          el("attachmentId", record.networkInterfaceId.replace(/^eni-/, "eni-attach-")),
          el("deviceIndex", 0),
          el("networkCardIndex", 0),
          el("status", "attached"),
          el("attachTime", launchTime),
          el("deleteOnTermination", true),
        ]),
        el("association", association),
        itemList("privateIpAddressesSet", [
          [
            el("privateIpAddress", record.privateIp),
            el("privateDnsName", privateDns),
            el("primary", true),
            el("association", association),
          ],
        ]),
      ],
    ]),
    el("ebsOptimized", true),
    el("enaSupport", true),
    el("cpuOptions", [
      el("coreCount", record.coreCount),
      el("threadsPerCore", record.threadsPerCore),
      el("nestedVirtualization", record.nestedVirtualization),
    ]),
    el("hibernationOptions", [el("configured", record.hibernationConfigured)]),
    el("enclaveOptions", [el("enabled", false)]),
    el("bootMode", "uefi-preferred"),
    el("currentInstanceBootMode", "uefi"),
    el("platformDetails", windows ? "Windows" : "Linux/UNIX"),
    el("usageOperation", windows ? "RunInstances:0002" : "RunInstances"),
    el("usageOperationUpdateTime", launchTime),
  ];
}

// Auto-assigned public IPs are owned by "amazon"; Elastic IPs by the account.
function publicAssociationXml(record: InstanceRecord, region: string): XmlElement[] | undefined {
  if (!record.publicIp) return undefined;
  return [
    el("publicIp", record.publicIp),
    el("publicDnsName", publicDnsName(record.publicIp, region)),
    el("ipOwnerId", record.publicIpKind === "elastic" ? ACCOUNT_ID : "amazon"),
  ];
}
