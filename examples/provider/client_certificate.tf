# A certificate uploaded to the app registration (Certificates & secrets >
# Certificates). The file holds the certificate and its private key: a
# PKCS#12 bundle (.pfx/.p12, with or without a password) or PEM.
provider "intune" {
  tenant_id                   = "00000000-0000-0000-0000-00000000aaaa"
  client_id                   = "00000000-0000-0000-0000-00000000bbbb"
  client_certificate_path     = "${path.root}/intune-terraform.pfx"
  client_certificate_password = var.client_certificate_password
}

variable "client_certificate_password" {
  type      = string
  sensitive = true
}
