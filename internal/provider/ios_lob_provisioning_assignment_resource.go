package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var (
	_ resource.ResourceWithConfigure      = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithImportState    = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithValidateConfig = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithModifyPlan     = &iosLobProvisioningAssignmentResource{}
	_ resource.ResourceWithIdentity       = &iosLobProvisioningAssignmentResource{}
)

// iosLobProvisioningAssignmentResource is the assignment engine
// (assignment_engine.go) on a provisioning configuration's two collections.
type iosLobProvisioningAssignmentResource struct {
	assignmentResource[graph.Assignments, assignmentModel]
}

func newIOSLobProvisioningAssignmentResource() resource.Resource {
	return &iosLobProvisioningAssignmentResource{assignmentResource[graph.Assignments, assignmentModel]{entity: &configurationAssignments}}
}

// configurationAssignments is the Graph shape of a configuration's
// assignments: two collections, read apart, replaced by one assign.
var configurationAssignments = assignedEntity[graph.Assignments, assignmentModel]{
	typeName:    "intune_ios_lob_provisioning_assignment",
	title:       "provisioning configuration",
	noun:        "configuration",
	idAttribute: "configuration_id",
	blocks:      "group and target blocks",
	read: func(ctx context.Context, c *graph.Client, id string) (*graph.Assignments, error) {
		return c.GetAssignments(ctx, id)
	},
	write: func(ctx context.Context, c *graph.Client, id string, set graph.Assignments) error {
		return c.Assign(ctx, id, set)
	},
	expand: expandAssignments,
	flatten: func(ctx context.Context, m assignmentModel, held *graph.Assignments) (assignmentModel, diag.Diagnostics) {
		var diags diag.Diagnostics
		m.Groups, m.Targets, diags = flattenAssignments(ctx, held)
		return m, diags
	},
	validate: func(ctx context.Context, m assignmentModel) diag.Diagnostics {
		diags := validateGroups(ctx, m.Groups)
		diags.Append(validateTargets(ctx, m.Targets)...)
		return diags
	},
	describe: describeAssignments,
	count: func(a graph.Assignments) string {
		return fmt.Sprintf("%d group and %d target assignments", len(a.Groups), len(a.Targets))
	},
	refuse: func(*graph.Assignments) string { return "" },
}

func (r *iosLobProvisioningAssignmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_provisioning_assignment"
}

func (r *iosLobProvisioningAssignmentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The whole assignment set of one iOS LOB app provisioning configuration: its legacy `group` " +
			"assignments and its `target` assignments. Create and update replace the set with the planned blocks; " +
			"destroy leaves the configuration with no assignments.",
		Attributes: assignedObjectAttributes("configuration_id", "configuration", "The id (GUID) of the iOS LOB app provisioning configuration."),
		Blocks: map[string]schema.Block{
			"group": schema.SetNestedBlock{
				MarkdownDescription: "A legacy group assignment (`appProvisioningConfigurationGroupAssignments`).",
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"group_id": schema.StringAttribute{
							Required:            true,
							CustomType:          guidType{},
							MarkdownDescription: "The Entra group id (`targetGroupId`).",
						},
					},
				},
			},
			"target": schema.SetNestedBlock{
				MarkdownDescription: "An assignment target (`iOSLobAppProvisioningConfigAssignments`).",
				NestedObject: schema.NestedBlockObject{
					Attributes: withTargetAttributes(targetTypeNames(), map[string]schema.Attribute{
						"collection_id": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "The Configuration Manager collection id. Required for `configuration_manager_collection`, refused for the other types.",
							Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
						},
					}),
				},
			},
			"timeouts": timeouts.BlockAll(ctx),
		},
	}
}

// IdentitySchema: the configuration id, as `configuration_id` (identity.go).
func (r *iosLobProvisioningAssignmentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("configuration_id", configurationIdentityDescription)
}

// Create looks before it writes, since assign replaces whatever the
// configuration holds: an empty configuration is assigned; one that holds
// exactly the plan (an earlier apply that was interrupted before Terraform
// saved its state) is adopted without a write; anything else is refused,
// with the import that brings it under Terraform.
