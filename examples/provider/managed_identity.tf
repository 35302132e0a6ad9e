# On an Azure VM, App Service, Functions, Container Apps or an Arc-enabled
# server with a managed identity that was granted the Graph permission.
provider "intune" {
  use_msi = true
  # For a user-assigned identity, its client id; leave it out for the
  # system-assigned one.
  client_id = "00000000-0000-0000-0000-00000000dddd"
}
