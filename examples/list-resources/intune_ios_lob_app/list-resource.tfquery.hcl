# Every in-house app whose name starts with "Sales" (any case), with the
# whole resource, so that `terraform query -generate-config-out=generated.tf`
# writes a resource block and an import block for each. Its file_path is the
# name of the file Intune holds: put the .ipa of that build there, or point
# file_path at it, and the plan proposes the import alone.
list "intune_ios_lob_app" "sales" {
  provider         = intune
  include_resource = true

  config {
    display_name_prefix = "Sales"
  }
}
