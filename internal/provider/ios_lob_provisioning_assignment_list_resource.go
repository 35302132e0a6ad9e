package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var (
	_ list.ListResourceWithConfigure = &iosLobProvisioningAssignmentListResource{}
)

// iosLobProvisioningAssignmentListResource finds, for `terraform query`,
// the configurations whose assignments could be adopted: those with at
// least one. A configuration with none has nothing to import; a new
// intune_ios_lob_provisioning_assignment assigns it.
type iosLobProvisioningAssignmentListResource struct {
	configurationLister
}

func (l *iosLobProvisioningAssignmentListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_provisioning_assignment"
}

func (l *iosLobProvisioningAssignmentListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listSchema("The assignment set of every iOS LOB app provisioning configuration of the tenant that has at least one " +
		"assignment, each with its identity (`configuration_id`) and a display name from the configuration's; with " +
		"`include_resource = true`, its `group` and `target` blocks. It reads each configuration's assignments.")
}

// List reads the assignments of every configuration (the same read as
// refresh), since Graph's list does not say which have any.
func (l *iosLobProvisioningAssignmentListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	stream.Results = l.listMatching(ctx, req, func(ctx context.Context, cfg graph.Configuration, result *list.ListResult) bool {
		held, err := l.client.GetAssignments(ctx, cfg.ID)
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
	})
}
