package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// configurationAssignments is the Graph shape of a configuration's
// assignments: two collections, read apart, replaced by one assign.
var configurationAssignments = assignedEntity[graph.Assignments, assignmentModel]{
	typeName:    "intune_ios_lob_provisioning_assignment",
	schema:      configurationAssignmentsSchema,
	identity:    configurationIdentityDescription,
	title:       "provisioning configuration",
	noun:        "configuration",
	idAttribute: "configuration_id",
	blocks:      "group and target blocks",
	read:        (*graph.Client).GetAssignments,
	write:       (*graph.Client).Assign,
	expand:      expandAssignments,
	flatten:     assignmentModel.holding,
	validate:    validateAssignments,
	describe:    describeAssignments,
	count: func(a graph.Assignments) string {
		return fmt.Sprintf("%d group and %d target assignments", len(a.Groups), len(a.Targets))
	},
	refuse: func(*graph.Assignments) string { return "" },
}

func configurationAssignmentsSchema(ctx context.Context) schema.Schema {
	return schema.Schema{
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
					Attributes: withTargetAttributes(targetKinds.names(), map[string]schema.Attribute{
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
