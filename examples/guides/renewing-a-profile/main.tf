terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}

# The profile of the in-house "Sales" apps. Renewing it is replacing this
# file with the renewed one: the configuration keeps its id, so its
# assignments stay as they are.
resource "intune_ios_lob_provisioning_configuration" "sales" {
  display_name      = "Sales apps"
  payload_file_name = "sales.mobileprovision"
  payload           = filebase64("${path.module}/sales.mobileprovision")
}

locals {
  sales_profile = intune_ios_lob_provisioning_configuration.sales.profile
  # A profile that lists no developer certificate has none to expire.
  sales_certificate_expires = coalesce(local.sales_profile.developer_certificate_expiration_date, "9999-12-31T23:59:59Z")
}

# The provider warns from 30 days before the profile expires. This check
# warns from 60, and 90 days before the distribution certificate the apps
# are signed with expires: a renewed profile does not help then, the apps
# must be signed again.
check "sales_profile_renewal" {
  assert {
    condition     = timecmp(local.sales_profile.expiration_date, timeadd(plantimestamp(), "1440h")) > 0
    error_message = "The provisioning profile \"${local.sales_profile.name}\" expires at ${local.sales_profile.expiration_date}: renew it in the Apple Developer portal and replace sales.mobileprovision."
  }

  assert {
    condition     = timecmp(local.sales_certificate_expires, timeadd(plantimestamp(), "2160h")) > 0
    error_message = "The distribution certificate of \"${local.sales_profile.name}\" expires at ${local.sales_certificate_expires}: sign the apps with a new certificate and issue a new profile for it."
  }
}
