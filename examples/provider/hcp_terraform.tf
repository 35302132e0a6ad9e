# HCP Terraform workspace, environment variables:
#   TFC_AZURE_PROVIDER_AUTH = true
#   TFC_AZURE_RUN_CLIENT_ID = <client id of the app registration>
#   ARM_TENANT_ID           = <tenant id>
# HCP Terraform hands each plan and apply its own token; nothing else is set.
provider "intune" {}

# A second app registration for the same run, tagged INTUNE_EU:
#   TFC_AZURE_PROVIDER_AUTH_INTUNE_EU = true
#   TFC_AZURE_RUN_CLIENT_ID_INTUNE_EU = <client id of the second app>
# HCP Terraform sets this variable; declare it to read the file paths.
variable "tfc_azure_dynamic_credentials" {
  description = "Object containing Azure dynamic credentials configuration"
  type = object({
    default = object({
      client_id_file_path  = string
      oidc_token_file_path = string
    })
    aliases = map(object({
      client_id_file_path  = string
      oidc_token_file_path = string
    }))
  })
}

provider "intune" {
  alias                = "eu"
  use_oidc             = true
  client_id_file_path  = var.tfc_azure_dynamic_credentials.aliases["INTUNE_EU"].client_id_file_path
  oidc_token_file_path = var.tfc_azure_dynamic_credentials.aliases["INTUNE_EU"].oidc_token_file_path
}
