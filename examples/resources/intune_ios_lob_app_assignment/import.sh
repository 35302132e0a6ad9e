# Import by app id: the resource then owns every assignment of that app.
terraform import intune_ios_lob_app_assignment.sales 00000000-0000-0000-0000-0000000000a1
