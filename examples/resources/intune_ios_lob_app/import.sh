# Import by app id. The import takes file_path from the name of the file
# Intune holds; the first plan after it sets the configuration's, and uploads
# the file only if its build is not the one Intune holds.
terraform import intune_ios_lob_app.sales 00000000-0000-0000-0000-000000000001
