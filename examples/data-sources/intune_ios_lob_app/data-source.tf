# Find an in-house app made in the Intune portal by its exact name, by its
# bundle id (compared without regard to case, as Apple does) or by id.
data "intune_ios_lob_app" "sales" {
  display_name = "Sales"
}
data "intune_ios_lob_app" "by_bundle_id" {
  bundle_id = "com.example.sales"
}
data "intune_ios_lob_app" "by_id" {
  id = "00000000-0000-0000-0000-000000000002"
}

# The id intune_ios_lob_app_assignment.app_id takes, and the build devices
# get today.
output "sales_app" {
  value = "${data.intune_ios_lob_app.sales.id} serves build ${data.intune_ios_lob_app.by_bundle_id.build_number}"
}

# Warn 30 days before the app stops launching: the expiry of its embedded
# provisioning profile, as Intune records it (null when it records none).
locals {
  sales_app_expires = data.intune_ios_lob_app.by_id.expiration_date_time
}

check "sales_app_expiry" {
  assert {
    condition     = local.sales_app_expires == null ? true : timecmp(local.sales_app_expires, timeadd(plantimestamp(), "720h")) > 0
    error_message = "The Sales app stops launching within 30 days: re-sign it with a renewed profile and upload the new build."
  }
}
