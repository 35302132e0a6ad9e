package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSourceWithConfigure = &iosLobProvisioningConfigurationsDataSource{}
)

type iosLobProvisioningConfigurationsDataSource struct {
	configuredDataSource
}

type configurationsDataSourceModel struct {
	DisplayNamePrefix types.String                `tfsdk:"display_name_prefix"`
	IDs               []types.String              `tfsdk:"ids"`
	Configurations    []configurationSummaryModel `tfsdk:"configurations"`
	dataSourceTimeouts
}

func (d *iosLobProvisioningConfigurationsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_provisioning_configurations"
}

// No `profile`: Graph's list carries no payloads, and reading each
// configuration's (tens of kilobytes, one request each) would make a list
// cost a request per configuration. expiration_date_time, which the list
// has, is what a list is used for.
const configurationsDataSourceDescription = "Every iOS LOB app provisioning configuration of the tenant (all pages), optionally only those whose " +
	"name starts with `display_name_prefix`. Profiles are not included (Graph lists configurations without them), so " +
	"neither is `profile`; `expiration_date_time` is. Read one configuration's profile with the " +
	"`intune_ios_lob_provisioning_configuration` data source."

func (d *iosLobProvisioningConfigurationsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: configurationsDataSourceDescription,
		Attributes: map[string]schema.Attribute{
			"display_name_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only configurations whose `display_name` starts with this, compared without regard to case.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The ids of the configurations found, in the order of `configurations`.",
			},
			"configurations": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The configurations found, ordered by `display_name`, then `id`.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id":                      schema.StringAttribute{Computed: true, MarkdownDescription: "The configuration id."},
						"display_name":            schema.StringAttribute{Computed: true, MarkdownDescription: "The name."},
						"description":             schema.StringAttribute{Computed: true, MarkdownDescription: "The description, null when there is none."},
						"payload_file_name":       schema.StringAttribute{Computed: true, MarkdownDescription: "The file name of the profile."},
						"expiration_date_time":    schema.StringAttribute{Computed: true, CustomType: rfc3339Type{}, MarkdownDescription: "When the profile expires (RFC 3339), null when unset."},
						"role_scope_tag_ids":      schema.SetAttribute{Computed: true, ElementType: types.StringType, MarkdownDescription: "Ids of the scope tags."},
						"created_date_time":       schema.StringAttribute{Computed: true, MarkdownDescription: "When it was created (RFC 3339)."},
						"last_modified_date_time": schema.StringAttribute{Computed: true, MarkdownDescription: "When it was last changed (RFC 3339)."},
						"version":                 schema.Int64Attribute{Computed: true, MarkdownDescription: "The version Intune gives it."},
					},
				},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": dstimeouts.Block(ctx),
		},
	}
}

func (d *iosLobProvisioningConfigurationsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	within(ctx, req.Config, opRead, &resp.Diagnostics, func(ctx context.Context, cfg configurationsDataSourceModel, op operation) {
		all, ok := configurations.all(ctx, d.client, op, &resp.Diagnostics)
		if !ok {
			return
		}
		matched := configurations.withDisplayNamePrefix(all, cfg.DisplayNamePrefix.ValueString())

		cfg.IDs = make([]types.String, 0, len(matched))
		cfg.Configurations = make([]configurationSummaryModel, 0, len(matched))
		for i := range matched {
			attrs, diags := configurationAttributesFrom(ctx, &matched[i])
			resp.Diagnostics.Append(diags...)
			cfg.IDs = append(cfg.IDs, types.StringValue(matched[i].ID))
			cfg.Configurations = append(cfg.Configurations, configurationSummaryModel{
				ID:                      types.StringValue(matched[i].ID),
				configurationAttributes: attrs,
			})
		}
		if resp.Diagnostics.HasError() {
			return
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
	})
}
