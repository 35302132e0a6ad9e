package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var (
	_ datasource.DataSourceWithConfigure        = &iosLobProvisioningConfigurationDataSource{}
	_ datasource.DataSourceWithConfigValidators = &iosLobProvisioningConfigurationDataSource{}
)

type iosLobProvisioningConfigurationDataSource struct {
	configuredDataSource
}

type configurationDataSourceModel struct {
	ID guidValue `tfsdk:"id"`
	configurationAttributes
	Payload types.String `tfsdk:"payload"`
	Profile types.Object `tfsdk:"profile"`
	Groups  types.Set    `tfsdk:"group"`
	Targets types.Set    `tfsdk:"target"`
	dataSourceTimeouts
}

func (d *iosLobProvisioningConfigurationDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_provisioning_configuration"
}

func (d *iosLobProvisioningConfigurationDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One iOS LOB app provisioning configuration, found by `id` or by its exact `display_name`, " +
			"with its profile (`payload`, and what it says in `profile`) and its current `group` and `target` assignments.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				CustomType:          guidType{},
				MarkdownDescription: "The configuration id (a GUID). Give this or `display_name`.",
			},
			"display_name": searchAttribute("The configuration's name, compared exactly (case included). Give this or `id`; " +
				"exactly one configuration must have it, or the read fails saying how many do."),
			"description": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The description, null when there is none.",
			},
			"payload_file_name": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The file name of the profile.",
			},
			"payload": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The profile's content, base64.",
			},
			"profile": profileDataSourceAttribute(),
			"expiration_date_time": schema.StringAttribute{
				Computed:            true,
				CustomType:          rfc3339Type{},
				MarkdownDescription: "When the profile expires (RFC 3339), null when unset.",
			},
			"role_scope_tag_ids": schema.SetAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Ids of the configuration's scope tags.",
			},
			"created_date_time": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the configuration was created (RFC 3339).",
			},
			"last_modified_date_time": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When the configuration was last changed (RFC 3339).",
			},
			"version": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "The version Intune gives the configuration.",
			},
			"group": schema.SetNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The legacy group assignments, as the `group` blocks of `intune_ios_lob_provisioning_assignment`.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"group_id": schema.StringAttribute{Computed: true, CustomType: guidType{}, MarkdownDescription: "The Entra group id."},
					},
				},
			},
			"target": schema.SetNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The assignment targets, as the `target` blocks of `intune_ios_lob_provisioning_assignment`.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"type":          schema.StringAttribute{Computed: true, MarkdownDescription: "`group`, `exclusion_group`, `all_devices`, `all_licensed_users` or `configuration_manager_collection`."},
						"group_id":      schema.StringAttribute{Computed: true, CustomType: guidType{}, MarkdownDescription: "The Entra group id, for group targets."},
						"collection_id": schema.StringAttribute{Computed: true, MarkdownDescription: "The Configuration Manager collection id."},
						"filter_id":     schema.StringAttribute{Computed: true, CustomType: guidType{}, MarkdownDescription: "The assignment filter id, if any."},
						"filter_type":   schema.StringAttribute{Computed: true, MarkdownDescription: "`include` or `exclude`, with `filter_id`."},
					},
				},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": dstimeouts.Block(ctx),
		},
	}
}

func (d *iosLobProvisioningConfigurationDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("display_name")),
	}
}

func (d *iosLobProvisioningConfigurationDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	within(ctx, req.Config, opRead, &resp.Diagnostics, func(ctx context.Context, cfg configurationDataSourceModel, op operation) {
		id := cfg.ID.ValueString()
		if cfg.ID.IsNull() {
			var ok bool
			if id, ok = d.findByName(ctx, cfg.DisplayName.ValueString(), op, &resp.Diagnostics); !ok {
				return
			}
		}

		found, assignments, err := d.client.GetConfigurationWithAssignments(ctx, id)
		if err != nil {
			detail := errorDetail(err, graphCall{action: "read " + configurationNoun(id), op: op, idAttribute: "id"})
			if graph.IsNotFound(err) {
				resp.Diagnostics.AddAttributeError(path.Root("id"), "Provisioning configuration not found", detail)
				return
			}
			resp.Diagnostics.AddError("Unable to read provisioning configuration", detail)
			return
		}
		attrs, diags := configurationAttributesFrom(ctx, found)
		resp.Diagnostics.Append(diags...)
		groups, targets, diags := flattenAssignments(ctx, assignments)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		if cfg.ID.IsNull() {
			cfg.ID = newGUIDValue(found.ID)
		}
		cfg.configurationAttributes = attrs
		cfg.Payload = types.StringNull() // when Graph does not send it
		if found.Payload != "" {
			cfg.Payload = types.StringValue(found.Payload)
		}
		cfg.Profile = heldProfile(found.Payload, &resp.Diagnostics)
		cfg.Groups = groups
		cfg.Targets = targets
		resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
	})
}

// findByName returns the id of the one configuration named name, matched
// in the whole list (configurations: no name filter is documented).
func (d *iosLobProvisioningConfigurationDataSource) findByName(ctx context.Context, name string, op operation, diags *diag.Diagnostics) (string, bool) {
	all, ok := configurations.all(ctx, d.client, op, diags)
	if !ok {
		return "", false
	}
	c, ok := configurations.one(all, configurations.named(name), diags)
	return c.ID, ok
}
