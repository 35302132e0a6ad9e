# The same, by resource identity (Terraform and OpenTofu 1.12 and later): a
# configuration's identity is its id, and its assignment set's the same id.
import {
  to = intune_ios_lob_provisioning_configuration.sales
  identity = {
    id = "00000000-0000-0000-0000-000000000001"
  }
}

import {
  to = intune_ios_lob_provisioning_assignment.sales
  identity = {
    configuration_id = "00000000-0000-0000-0000-000000000001"
  }
}
