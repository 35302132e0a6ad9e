package provider

import (
	"context"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// entityListDataSource is a data source that lists the entities of one kind
// whose name starts with `display_name_prefix`, with their `ids`: what
// sets one apart is its name, its description, the name of its list and
// the element each entity gives (in their own files).
type entityListDataSource[T, S any] struct {
	configuredDataSource
	typeName    string // after the provider's name
	description string
	entities    entityKind[T]
	items       string                      // the list's attribute: "configurations"
	item        map[string]schema.Attribute // its elements' attributes
	itemFrom    func(context.Context, *T) (S, diag.Diagnostics)
}

var _ datasource.DataSourceWithConfigure = &entityListDataSource[struct{}, struct{}]{}

// newEntityListDataSource is the list data source typeName of entities,
// whose list items has an element of attributes item per entity, mapped by
// itemFrom.
func newEntityListDataSource[T, S any](typeName string, entities entityKind[T], items string, item map[string]schema.Attribute,
	itemFrom func(context.Context, *T) (S, diag.Diagnostics), description string) datasource.DataSource {
	return &entityListDataSource[T, S]{
		typeName: typeName, description: description, entities: entities, items: items, item: item, itemFrom: itemFrom,
	}
}

func (d *entityListDataSource[T, S]) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + d.typeName
}

func (d *entityListDataSource[T, S]) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	some := d.entities.short + "s"
	resp.Schema = schema.Schema{
		MarkdownDescription: d.description,
		Attributes: map[string]schema.Attribute{
			"display_name_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only " + some + " whose `display_name` starts with this, compared without regard to case.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"ids": schema.ListAttribute{
				Computed:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "The ids of the " + some + " found, in the order of `" + d.items + "`.",
			},
			d.items: schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The " + some + " found, ordered by `display_name`, then `id`.",
				NestedObject:        schema.NestedAttributeObject{Attributes: d.item},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": dstimeouts.Block(ctx),
		},
	}
}

func (d *entityListDataSource[T, S]) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	within(ctx, listDataSourceConfig{req.Config}, opRead, &resp.Diagnostics, func(ctx context.Context, cfg listDataSourceModel, op operation) {
		all, ok := d.entities.all(ctx, d.client, op, &resp.Diagnostics)
		if !ok {
			return
		}
		matched := d.entities.withDisplayNamePrefix(all, cfg.DisplayNamePrefix.ValueString())
		ids := make([]types.String, 0, len(matched))
		items := make([]S, 0, len(matched))
		for i := range matched {
			item, diags := d.itemFrom(ctx, &matched[i])
			resp.Diagnostics.Append(diags...)
			id, _ := d.entities.key(matched[i])
			ids = append(ids, types.StringValue(id))
			items = append(items, item)
		}
		if resp.Diagnostics.HasError() {
			return
		}
		// The state starts as the configuration: the rest is computed.
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ids"), ids)...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(d.items), items)...)
	})
}

// listDataSourceModel is what a list data source reads of its
// configuration; its list's attribute has the name of what it lists.
type listDataSourceModel struct {
	DisplayNamePrefix types.String
	dataSourceTimeouts
}

// listDataSourceConfig reads a listDataSourceModel from the configuration.
type listDataSourceConfig struct{ tfsdk.Config }

func (c listDataSourceConfig) Get(ctx context.Context, target any) diag.Diagnostics {
	m := target.(*listDataSourceModel)
	diags := c.GetAttribute(ctx, path.Root("display_name_prefix"), &m.DisplayNamePrefix)
	diags.Append(c.GetAttribute(ctx, path.Root("timeouts"), &m.Timeouts)...)
	return diags
}
