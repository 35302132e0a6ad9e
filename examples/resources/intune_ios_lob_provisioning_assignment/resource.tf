# Who receives the "Sales apps" provisioning profile. This resource owns the
# whole assignment set of the configuration: anything assigned in the portal
# and not listed here is removed on apply.
resource "intune_ios_lob_provisioning_assignment" "sales" {
  configuration_id = "00000000-0000-0000-0000-000000000001"

  # A legacy group assignment.
  group {
    group_id = "5f8f8a2e-3b1c-4a55-9d4e-0f1b2c3d4e5f"
  }

  # Included groups, here narrowed by an assignment filter.
  target {
    type        = "group"
    group_id    = "7a1b2c3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
    filter_id   = "9c8b7a6d-5e4f-4321-8fed-cba987654321"
    filter_type = "include"
  }

  # Excluded groups.
  target {
    type     = "exclusion_group"
    group_id = "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091"
  }
}
