# The in-house Sales app, uploaded from the enterprise-signed .ipa.
resource "intune_ios_lob_app" "sales" {
  display_name = "Sales"
  publisher    = "Example Corp"
  file_path    = "${path.module}/Sales.ipa"
}

# Who receives it. This resource owns the whole assignment set of the app:
# anything assigned in the portal and not listed here is removed on apply.
resource "intune_ios_lob_app_assignment" "sales" {
  app_id = intune_ios_lob_app.sales.id

  # Installed on the field sales team's devices, and kept out of iCloud backups.
  assignment {
    intent                     = "required"
    type                       = "group"
    group_id                   = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
    prevent_managed_app_backup = true
  }

  # Offered in the Company Portal to everyone else, on the devices an
  # assignment filter selects.
  assignment {
    intent      = "available"
    type        = "all_licensed_users"
    filter_id   = "9c8b7a6d-5e4f-4321-8fed-cba987654321"
    filter_type = "include"
  }

  # Removed from the devices of people who left the team.
  assignment {
    intent   = "uninstall"
    type     = "group"
    group_id = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
  }
}
