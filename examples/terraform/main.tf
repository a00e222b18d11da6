# A CI runner that needs /dev/kvm: an M8i instance from the AWS provider, and its
# NestedVirtualization CPU option declared next to it with nestedvirt_enablement.
#
#   terraform init    # nestedvirt comes from a local mirror or dev_overrides (see docs/index.md)
#   terraform plan    # shows the pending CPU option change; no instance is touched
#   terraform apply   # stops the runner, enables nested virtualization, starts it again

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
    nestedvirt = {
      source = "registry.terraform.io/nestedvirt/nestedvirt"
    }
  }
}

variable "region" {
  description = "AWS region for the runner."
  type        = string
  default     = "us-east-1"
}

variable "subnet_id" {
  description = "Subnet to launch the runner in; null uses the default VPC."
  type        = string
  default     = null
}

provider "aws" {
  region = var.region
}

provider "nestedvirt" {
  region = var.region
  # profile  = "ci"                                  # default: AWS_PROFILE or the default chain
  # endpoint = "https://ec2.us-east-1.amazonaws.com" # default: AWS_ENDPOINT_URL_EC2 or the regional endpoint
}

data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_instance" "runner" {
  ami           = data.aws_ami.al2023.id
  instance_type = "m8i.large" # a type whose DescribeInstanceTypes answer lists nested-virtualization
  subnet_id     = var.subnet_id

  tags = {
    Name = "ci-runner"
  }
}

resource "nestedvirt_enablement" "runner" {
  instance_id = aws_instance.runner.id

  # The defaults, spelled out:
  nested_virtualization           = "enabled"
  allow_auto_scaling_group_member = false
  on_delete                       = "keep" # "restore" cycles the instance back on destroy

  timeouts {
    stop  = "15m"
    start = "15m"
  }
}

output "runner_id" {
  value = aws_instance.runner.id
}

output "nested_virtualization" {
  description = "The live setting (refresh shows drift here)."
  value       = nestedvirt_enablement.runner.nested_virtualization
}

output "warnings" {
  description = "What the cycle did besides the CPU option, e.g. a new public IP."
  value       = nestedvirt_enablement.runner.warnings
}

output "downtime_seconds" {
  description = "Downtime of the last stop/modify/start cycle; null when none was needed."
  value       = try(nestedvirt_enablement.runner.last_cycle.downtime_seconds, null)
}
