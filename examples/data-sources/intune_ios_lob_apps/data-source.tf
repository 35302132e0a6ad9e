# Every in-house app whose name starts with "Sales" (any case).
data "intune_ios_lob_apps" "sales" {
  display_name_prefix = "Sales"
}

# Their bundle ids and the builds Intune serves.
output "sales_builds" {
  value = { for a in data.intune_ios_lob_apps.sales.apps : a.bundle_id => a.build_number }
}

# Apps that stop launching within 30 days, by the expiry of their embedded
# profile that Intune records (null when it records none).
output "expiring_soon" {
  value = [
    for a in data.intune_ios_lob_apps.sales.apps : a.display_name
    if a.expiration_date_time == null ? false : timecmp(a.expiration_date_time, timeadd(plantimestamp(), "720h")) < 0
  ]
}
