# Every configuration whose name starts with "Sales" (any case), with the
# whole resource, so that `terraform query -generate-config-out=generated.tf`
# writes a resource block and an import block for each.
list "intune_ios_lob_provisioning_configuration" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}
