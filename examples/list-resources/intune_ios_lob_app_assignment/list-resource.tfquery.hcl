# The assignment sets of the Sales apps: those with at least one
# assignment, made in the portal or by another tool.
list "intune_ios_lob_app_assignment" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}
