terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}

locals {
  # The Entra group of the field sales team, who receive the app and its
  # profile.
  sales_team = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
}

# The app: the enterprise-signed .ipa the build produced. A new build is
# uploaded in place.
resource "intune_ios_lob_app" "sales" {
  display_name = "Sales"
  publisher    = "Example Corp"
  file_path    = "${path.module}/Sales.ipa"
}

# The provisioning profile that keeps the app launching. Apple issues a new
# one every year.
resource "intune_ios_lob_provisioning_configuration" "sales" {
  display_name      = "Sales apps"
  payload_file_name = "sales.mobileprovision"
  payload           = filebase64("${path.module}/sales.mobileprovision")
}

# Who receives the app: installed on the team's devices.
resource "intune_ios_lob_app_assignment" "sales" {
  app_id = intune_ios_lob_app.sales.id

  assignment {
    intent   = "required"
    type     = "group"
    group_id = local.sales_team
  }
}

# Who receives the profile: the same devices as the app.
resource "intune_ios_lob_provisioning_assignment" "sales" {
  configuration_id = intune_ios_lob_provisioning_configuration.sales.id

  target {
    type     = "group"
    group_id = local.sales_team
  }
}

# The app stops launching when the profile embedded in its .ipa expires,
# unless the device has received a later one. This warns when the
# profile assigned beside the app outlives the embedded one, as it does
# after each yearly renewal.
check "sales_app_profile" {
  assert {
    condition     = timecmp(intune_ios_lob_app.sales.expiration_date_time, intune_ios_lob_provisioning_configuration.sales.expiration_date_time) >= 0
    error_message = "The profile embedded in the Sales app expires at ${intune_ios_lob_app.sales.expiration_date_time}, before the assigned profile (${intune_ios_lob_provisioning_configuration.sales.expiration_date_time}). From then on the app launches only on devices that received the assigned profile: assign it to every group that receives the app, or upload a build signed with the new profile."
  }
}
