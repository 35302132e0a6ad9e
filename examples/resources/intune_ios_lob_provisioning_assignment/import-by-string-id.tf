# Take over the assignments a configuration already has (Terraform v1.5.0 and
# later). The next apply replaces them with the resource's blocks, and the
# plan shows the difference first.
import {
  to = intune_ios_lob_provisioning_assignment.sales
  id = "00000000-0000-0000-0000-000000000001"
}
