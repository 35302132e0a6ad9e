# Take over a configuration that already has assignments: the plan shows them,
# and the apply replaces them with the resource's blocks.
import {
  to = intune_ios_lob_provisioning_assignment.sales
  id = "00000000-0000-0000-0000-000000000001"
}
