# Take over a configuration made in the Intune portal, with the assignments
# made there: the plan shows how each differs from the resource's arguments,
# and the apply updates both in place. Without the second import block the
# apply would stop before writing, since the assignment resource refuses to
# replace assignments it does not know about.
import {
  to = intune_ios_lob_provisioning_configuration.sales
  id = "00000000-0000-0000-0000-000000000001"
}

import {
  to = intune_ios_lob_provisioning_assignment.sales
  id = "00000000-0000-0000-0000-000000000001"
}
