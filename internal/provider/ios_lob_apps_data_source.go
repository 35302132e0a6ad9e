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
	_ datasource.DataSourceWithConfigure = &iosLobAppsDataSource{}
)

type iosLobAppsDataSource struct {
	configuredDataSource
}

type iosLobAppsDataSourceModel struct {
	DisplayNamePrefix types.String            `tfsdk:"display_name_prefix"`
	IDs               []types.String          `tfsdk:"ids"`
	Apps              []iosLobAppSummaryModel `tfsdk:"apps"`
	dataSourceTimeouts
}

// iosLobAppSummaryModel is one element of apps: the single data source's
// attributes, mapped by the same function.
type iosLobAppSummaryModel struct {
	ID types.String `tfsdk:"id"`
	iosLobAppAttributes
}

func (d *iosLobAppsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_apps"
}

func (d *iosLobAppsDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Every in-house (line-of-business) iOS app of the tenant (all pages), optionally only those whose name starts with " +
			"`display_name_prefix`, each with the attributes of the `intune_ios_lob_app` data source.",
		Attributes: map[string]schema.Attribute{
			"display_name_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only apps whose `display_name` starts with this, compared without regard to case.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The ids of the apps found, in the order of `apps`.",
			},
			"apps": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The apps found, ordered by `display_name`, then `id`.",
				NestedObject:        schema.NestedAttributeObject{Attributes: iosLobAppDataSourceAttributes()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": dstimeouts.Block(ctx),
		},
	}
}

func (d *iosLobAppsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	within(ctx, req.Config, opRead, &resp.Diagnostics, func(ctx context.Context, cfg iosLobAppsDataSourceModel, op operation) {
		all, ok := iosLobApps.all(ctx, d.client, op, &resp.Diagnostics)
		if !ok {
			return
		}
		matched := iosLobApps.withDisplayNamePrefix(all, cfg.DisplayNamePrefix.ValueString())

		cfg.IDs = make([]types.String, 0, len(matched))
		cfg.Apps = make([]iosLobAppSummaryModel, 0, len(matched))
		for i := range matched {
			attrs, diags := iosLobAppAttributesFrom(ctx, &matched[i])
			resp.Diagnostics.Append(diags...)
			cfg.IDs = append(cfg.IDs, types.StringValue(matched[i].ID))
			cfg.Apps = append(cfg.Apps, iosLobAppSummaryModel{ID: types.StringValue(matched[i].ID), iosLobAppAttributes: attrs})
		}
		if resp.Diagnostics.HasError() {
			return
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
	})
}
