# The provisioning profile of the in-house "Sales" apps, uploaded from the
# .mobileprovision file Apple issued. Replacing the file with a renewed one
# updates the configuration in place.
resource "intune_ios_lob_provisioning_configuration" "sales" {
  display_name         = "Sales apps"
  description          = "Enterprise distribution profile for the Sales apps"
  payload_file_name    = "sales.mobileprovision"
  payload              = filebase64("${path.module}/sales.mobileprovision")
  expiration_date_time = "2027-01-31T00:00:00Z"
}

# Who receives it.
resource "intune_ios_lob_provisioning_assignment" "sales" {
  configuration_id = intune_ios_lob_provisioning_configuration.sales.id

  target {
    type     = "group"
    group_id = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
  }
}
