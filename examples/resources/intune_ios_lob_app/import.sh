# Import by app id. The first plan after it sets file_path, and uploads the
# file only if its build is not the one Intune holds.
terraform import intune_ios_lob_app.sales 00000000-0000-0000-0000-000000000001
