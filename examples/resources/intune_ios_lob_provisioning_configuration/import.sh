# Import by configuration id.
terraform import intune_ios_lob_provisioning_configuration.sales 00000000-0000-0000-0000-000000000001
