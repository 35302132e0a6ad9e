# The in-house Sales app, uploaded from the enterprise-signed .ipa the build
# produced. The plan reads the file: bundle_id, version_number, build_number,
# the embedded profile and its expiry are known before anything is uploaded.
# A new build (a new file with a new CFBundleVersion) updates the app in
# place; devices keep the previous build until the new one is committed.
resource "intune_ios_lob_app" "sales" {
  display_name = "Sales"
  description  = "Quotes and orders for the field sales team"
  publisher    = "Example Corp"
  file_path    = "${path.module}/Sales.ipa"
}

# When the app stops launching on devices: its embedded profile's expiry.
output "sales_app_expires" {
  value = intune_ios_lob_app.sales.expiration_date_time
}
