package provider

import (
	"context"
	"errors"

	dstimeouts "github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

var _ datasource.DataSourceWithConfigValidators = &iosLobAppDataSource{}

type iosLobAppDataSource struct {
	configuredDataSource
}

// iosLobAppDataSourceModel is the app as the resource reads it from Graph
// (iosLobAppAttributes, bundle_id among them), without what only the
// configuration knows (file_path, file_sha256, profile).
type iosLobAppDataSourceModel struct {
	ID guidValue `tfsdk:"id"`
	iosLobAppAttributes
	dataSourceTimeouts
}

func (d *iosLobAppDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_ios_lob_app"
}

func (d *iosLobAppDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := iosLobAppDataSourceAttributes()
	attrs["id"] = schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		CustomType:          guidType{},
		MarkdownDescription: "The app id (a GUID). Give this, `display_name` or `bundle_id`.",
	}
	attrs["display_name"] = searchAttribute("The app's name, compared exactly (case included). Give this, `id` or `bundle_id`; " +
		"exactly one app must have it, or the read fails saying how many do.")
	attrs["bundle_id"] = searchAttribute("The app's bundle id (`CFBundleIdentifier`), compared without regard to case, as Apple compares bundle ids. " +
		"Give this, `id` or `display_name`; exactly one app must have it, or the read fails saying how many do.")
	resp.Schema = schema.Schema{
		MarkdownDescription: "One in-house (line-of-business) iOS app in Intune, found by `id`, by its exact `display_name` or by its `bundle_id`, " +
			"with what Intune holds of it: the attributes of the `intune_ios_lob_app` resource that Graph returns.",
		Attributes: attrs,
		Blocks: map[string]schema.Block{
			"timeouts": dstimeouts.Block(ctx),
		},
	}
}

func (d *iosLobAppDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("display_name"), path.MatchRoot("bundle_id")),
	}
}

func (d *iosLobAppDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	within(ctx, req.Config, opRead, &resp.Diagnostics, func(ctx context.Context, cfg iosLobAppDataSourceModel, op operation) {
		app, ok := d.find(ctx, cfg, op, resp)
		if !ok {
			return
		}
		attrs, diags := iosLobAppAttributesFrom(ctx, app)
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
		if cfg.ID.IsNull() { // looked up by id, the id is kept as written
			cfg.ID = newGUIDValue(app.ID)
		}
		cfg.iosLobAppAttributes = attrs
		resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
	})
}

// find reads the app by id, or finds the one app of the name or bundle id
// in the list of iOS apps (see iosLobApps: no filter on either is
// documented), which carries every attribute: one paged request.
func (d *iosLobAppDataSource) find(ctx context.Context, cfg iosLobAppDataSourceModel, op operation, resp *datasource.ReadResponse) (*graph.IOSLobApp, bool) {
	diags := &resp.Diagnostics
	if !cfg.ID.IsNull() {
		id := cfg.ID.ValueString()
		app, err := d.client.GetIOSLobApp(ctx, id)
		var wrongType *graph.WrongAppTypeError
		switch {
		case graph.IsNotFound(err):
			diags.AddAttributeError(path.Root("id"), "iOS app not found", errorDetail(err, iosLobAppCall("read iOS app "+id, op, "id")))
		case errors.As(err, &wrongType):
			diags.AddAttributeError(path.Root("id"), "Not an iOS LOB app", "id: "+err.Error()+". This data source finds in-house iOS apps only.")
		case err != nil:
			diags.AddError("Unable to read iOS app", errorDetail(err, iosLobAppCall("read iOS app "+id, op, "id")))
		}
		return app, err == nil
	}
	l := iosLobApps.named(cfg.DisplayName.ValueString())
	if cfg.DisplayName.IsNull() {
		l = withBundleID(cfg.BundleID.ValueString())
	}
	all, ok := iosLobApps.all(ctx, d.client, op, diags)
	if !ok {
		return nil, false
	}
	app, ok := iosLobApps.one(all, l, diags)
	return &app, ok
}

// withBundleID is the lookup by bundle id. Apple: "Bundle IDs are case
// insensitive" (developer.apple.com/help/glossary/bundle-id).
func withBundleID(bundleID string) lookup[graph.IOSLobApp] {
	return lookup[graph.IOSLobApp]{
		attribute: "bundle_id", value: bundleID, what: "bundle id", is: "has bundle id", are: "have bundle id",
		of:       func(a graph.IOSLobApp) string { return a.BundleID },
		compared: "bundle ids are compared without regard to case, as Apple compares them",
		remedy:   "delete the apps that should not be there (to devices, one bundle id is one app)",
	}
}
