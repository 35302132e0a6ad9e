terraform {
  required_providers {
    intune = {
      source = "intunetf/intune"
    }
  }
}

# Credentials usually come from the environment (ARM_TENANT_ID, ARM_CLIENT_ID,
# ARM_CLIENT_SECRET), so that no secret is written in configuration.
provider "intune" {
  tenant_id = "00000000-0000-0000-0000-00000000aaaa"
  client_id = "00000000-0000-0000-0000-00000000bbbb"
}
