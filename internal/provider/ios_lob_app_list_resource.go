package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobAppListResource finds the tenant's iOS LOB apps for
// `terraform query`.
func newIOSLobAppListResource() list.ListResource {
	return &listResource[graph.IOSLobApp]{
		typeName: "_ios_lob_app",
		description: "Every in-house iOS app of the tenant, each with its identity (`id`) and its `display_name`; with " +
			"`include_resource = true`, the whole resource as an import reads it, `file_path` being the name of the file Intune holds.",
		entities: iosLobApps,
		result:   iosLobAppListResult,
	}
}

// iosLobAppListResult answers from the list of the tenant's apps, which
// carries every attribute the resource reads: no request per app.
func iosLobAppListResult(ctx context.Context, _ *graph.Client, req list.ListRequest, app graph.IOSLobApp, result *list.ListResult) bool {
	result.DisplayName = app.DisplayName
	result.Diagnostics.Append(setIdentity(ctx, result.Identity, "id", app.ID)...)
	if !req.IncludeResource || result.Diagnostics.HasError() {
		return true
	}
	m, diags := iosLobAppResourceModelFrom(ctx, &app)
	result.Diagnostics.Append(diags...)
	result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	return true
}
