# Local use: `az login --tenant <tenant id>` first. With nothing else
# configured the provider asks the Azure CLI for a token (use_cli defaults
# to true).
provider "intune" {
  tenant_id = "00000000-0000-0000-0000-00000000aaaa"
}
