package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobProvisioningConfigurationListResource finds the tenant's
// configurations for `terraform query`.
func newIOSLobProvisioningConfigurationListResource() list.ListResource {
	return &listResource[graph.Configuration]{
		typeName: "_ios_lob_provisioning_configuration",
		description: "Every iOS LOB app provisioning configuration of the tenant, each with its identity (`id`) and its " +
			"`display_name`; with `include_resource = true`, the whole resource, its profile included (one request per configuration).",
		entities: configurations,
		result:   configurationListResult,
	}
}

// configurationListResult answers from the list of the tenant's
// configurations; the full resource needs the configuration's payload,
// which only a read of the configuration carries.
func configurationListResult(ctx context.Context, client *graph.Client, req list.ListRequest, cfg graph.Configuration, result *list.ListResult) bool {
	result.DisplayName = cfg.DisplayName
	result.Diagnostics.Append(setIdentity(ctx, result.Identity, "id", cfg.ID)...)
	if !req.IncludeResource || result.Diagnostics.HasError() {
		return true
	}
	full, err := client.GetConfiguration(ctx, cfg.ID)
	if graph.IsNotFound(err) { // deleted since the list
		return false
	}
	if err != nil {
		result.Diagnostics.AddError("Unable to read provisioning configuration", errorDetail(err, graphCall{
			action: "read " + configurationNoun(cfg.ID), op: operation{name: opRead, timeout: defaultReadTimeout},
		}))
		return true
	}
	m, diags := configurationResourceModelFrom(ctx, full, "")
	result.Diagnostics.Append(diags...)
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return true
}
