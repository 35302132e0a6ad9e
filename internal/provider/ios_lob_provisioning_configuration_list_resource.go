package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
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
		result:   asResource(configurations, readListedConfiguration),
	}
}

// readListedConfiguration reads the configuration, since the full
// resource needs its payload, which only a read of it carries.
func readListedConfiguration(ctx context.Context, client *graph.Client, cfg graph.Configuration, diags *diag.Diagnostics) (configurationResourceModel, bool) {
	full, err := client.GetConfiguration(ctx, cfg.ID)
	if graph.IsNotFound(err) { // deleted since the list
		return configurationResourceModel{}, false
	}
	if err != nil {
		diags.AddError("Unable to read provisioning configuration", errorDetail(err, graphCall{
			action: "read " + configurationNoun(cfg.ID), op: operation{name: opRead, timeout: defaultReadTimeout},
		}))
		return configurationResourceModel{}, true
	}
	m, d := configurationResourceModelFrom(ctx, full, "")
	diags.Append(d...)
	return m, true
}
