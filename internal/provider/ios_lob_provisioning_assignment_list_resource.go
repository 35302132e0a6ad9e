package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobProvisioningAssignmentListResource finds, for `terraform query`,
// the configurations whose assignments could be adopted: those with at
// least one. A configuration with none has nothing to import; a new
// intune_ios_lob_provisioning_assignment assigns it.
func newIOSLobProvisioningAssignmentListResource() list.ListResource {
	return &listResource[graph.Configuration]{
		typeName: "_ios_lob_provisioning_assignment",
		description: "The assignment set of every iOS LOB app provisioning configuration of the tenant that has at least one " +
			"assignment, each with its identity (`configuration_id`) and a display name from the configuration's; with " +
			"`include_resource = true`, its `group` and `target` blocks. It reads each configuration's assignments.",
		entities: configurations,
		result:   assignmentListResult,
	}
}

// assignmentListResult reads the configuration's assignments (the same
// read as refresh), since Graph's list does not say which have any.
func assignmentListResult(ctx context.Context, client *graph.Client, req list.ListRequest, cfg graph.Configuration, result *list.ListResult) bool {
	held, err := client.GetAssignments(ctx, cfg.ID)
	if graph.IsNotFound(err) { // deleted since the list
		return false
	}
	if err != nil {
		result.Diagnostics.AddError("Unable to read provisioning configuration assignments", errorDetail(err, graphCall{
			action: "read the assignments of configuration " + cfg.ID, op: operation{name: opRead, timeout: defaultReadTimeout},
		}))
		return true
	}
	if len(held.Groups) == 0 && len(held.Targets) == 0 {
		return false
	}
	result.DisplayName = "Assignments of " + cfg.DisplayName
	result.Diagnostics.Append(setIdentity(ctx, result.Identity, "configuration_id", cfg.ID)...)
	if !req.IncludeResource || result.Diagnostics.HasError() {
		return true
	}
	groups, targets, diags := flattenAssignments(ctx, held)
	result.Diagnostics.Append(diags...)
	result.Diagnostics.Append(result.Resource.Set(ctx, &assignmentModel{
		ID:               types.StringValue(cfg.ID),
		ConfigurationID:  newGUIDValue(cfg.ID),
		Groups:           groups,
		Targets:          targets,
		resourceTimeouts: nullResourceTimeouts(),
	})...)
	return true
}
