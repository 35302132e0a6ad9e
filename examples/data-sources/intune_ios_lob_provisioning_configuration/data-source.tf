# Find a configuration made in the Intune portal by its exact name...
data "intune_ios_lob_provisioning_configuration" "sales" {
  display_name = "Sales apps"
}

# ...or by id.
data "intune_ios_lob_provisioning_configuration" "legacy" {
  id = "00000000-0000-0000-0000-000000000001"
}

output "sales_configuration_id" {
  value = data.intune_ios_lob_provisioning_configuration.sales.id
}

# The groups it is assigned to today.
output "sales_included_groups" {
  value = [for t in data.intune_ios_lob_provisioning_configuration.sales.target : t.group_id if t.type == "group"]
}

# What its profile says, read from the payload Intune holds: null when Graph
# does not return it, or when it is not a profile.
output "sales_profile_expiration_date" {
  value = data.intune_ios_lob_provisioning_configuration.sales.profile.expiration_date
}
