# In a pod labelled azure.workload.identity/use: "true" whose service account
# is annotated azure.workload.identity/client-id: <client id>. The webhook
# injects AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID and AZURE_TENANT_ID.
provider "intune" {
  use_aks_workload_identity = true
}
