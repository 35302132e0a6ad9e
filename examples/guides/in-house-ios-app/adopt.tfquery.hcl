# What the portal already holds for the Sales app, found by name: the app,
# who receives it, the profile's configuration and who receives the
# profile. With include_resource, `terraform query
# -generate-config-out=generated.tf` writes a resource block and an import
# block for each.
list "intune_ios_lob_app" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}

list "intune_ios_lob_app_assignment" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}

list "intune_ios_lob_provisioning_configuration" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}

list "intune_ios_lob_provisioning_assignment" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}
