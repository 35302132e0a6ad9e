# Provider functions need Terraform 1.8 or later, or OpenTofu 1.7 or later.
terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}

locals {
  # What the .mobileprovision file Apple issued says about itself.
  sales_profile = provider::intune::parse_mobileprovision(filebase64("${path.module}/sales.mobileprovision"))
}

output "sales_profile_expiration_date" {
  value = local.sales_profile.expiration_date
}

# From 30 days before the profile expires, every plan and apply warns (a
# check block never stops a run), leaving time to renew it before the apps
# that depend on it stop launching.
check "sales_profile_not_expiring" {
  assert {
    condition     = timecmp(local.sales_profile.expiration_date, timeadd(plantimestamp(), "720h")) > 0
    error_message = "The provisioning profile \"${local.sales_profile.name}\" expires at ${local.sales_profile.expiration_date}: renew it in the Apple Developer portal and replace sales.mobileprovision."
  }
}
