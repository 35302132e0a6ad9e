# Import by configuration id: the resource then owns every assignment of
# that configuration.
terraform import intune_ios_lob_provisioning_assignment.sales 00000000-0000-0000-0000-000000000001
