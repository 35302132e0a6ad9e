# The same, by resource identity (Terraform and OpenTofu 1.12 and later): the identity of
# an assignment set is its configuration's id.
import {
  to = intune_ios_lob_provisioning_assignment.sales
  identity = {
    configuration_id = "00000000-0000-0000-0000-000000000001"
  }
}
