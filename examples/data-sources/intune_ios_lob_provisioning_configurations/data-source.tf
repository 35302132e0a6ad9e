# Every configuration whose name starts with "Sales" (any case).
data "intune_ios_lob_provisioning_configurations" "sales" {
  display_name_prefix = "Sales"
}

# Profiles that expire within 30 days, by the expiration_date_time Intune
# records (the list carries no profiles, so no `profile`).
output "expiring_soon" {
  value = [
    for c in data.intune_ios_lob_provisioning_configurations.sales.configurations : c.display_name
    if c.expiration_date_time != null && timecmp(c.expiration_date_time, timeadd(plantimestamp(), "720h")) < 0
  ]
}
