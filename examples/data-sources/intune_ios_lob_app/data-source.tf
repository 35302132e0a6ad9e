# Find an in-house app made in the Intune portal by its exact name...
data "intune_ios_lob_app" "sales" {
  display_name = "Sales"
}

# ...by its bundle id (compared without regard to case, as Apple does)...
data "intune_ios_lob_app" "by_bundle_id" {
  bundle_id = "com.example.sales"
}

# ...or by id.
data "intune_ios_lob_app" "by_id" {
  id = "00000000-0000-0000-0000-000000000002"
}

# The id that intune_ios_lob_app_assignment.app_id takes.
output "sales_app_id" {
  value = data.intune_ios_lob_app.sales.id
}

# The build devices get today, and when it stops launching: the expiry of
# its embedded provisioning profile, as Intune records it.
output "sales_app_build" {
  value = data.intune_ios_lob_app.by_bundle_id.build_number
}

output "sales_app_expires" {
  value = data.intune_ios_lob_app.by_bundle_id.expiration_date_time
}
