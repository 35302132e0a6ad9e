# The provisioning profile of the in-house "Sales" apps, uploaded from the
# .mobileprovision file Apple issued. The plan reads it: expiration_date_time
# is the profile's expiry, an expired profile is refused, and one that
# expires within 30 days warns. Replacing the file with a renewed one updates
# the configuration in place, and the plan shows the new expiry.
resource "intune_ios_lob_provisioning_configuration" "sales" {
  display_name      = "Sales apps"
  description       = "Enterprise distribution profile for the Sales apps"
  payload_file_name = "sales.mobileprovision"
  payload           = filebase64("${path.module}/sales.mobileprovision")
}

# What the profile says about itself, such as when it expires.
output "sales_profile_expiration_date" {
  value = intune_ios_lob_provisioning_configuration.sales.profile.expiration_date
}

# Who receives it.
resource "intune_ios_lob_provisioning_assignment" "sales" {
  configuration_id = intune_ios_lob_provisioning_configuration.sales.id

  target {
    type     = "group"
    group_id = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
  }
}
