# Take over a configuration made in the Intune portal: the plan shows how it
# differs from the resource's arguments, and the apply updates it in place.
import {
  to = intune_ios_lob_provisioning_configuration.sales
  id = "00000000-0000-0000-0000-000000000001"
}
