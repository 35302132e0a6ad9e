package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobAppListResource finds the tenant's iOS LOB apps for
// `terraform query`. The list of apps carries every attribute the resource
// reads, so a result needs no request of its own.
func newIOSLobAppListResource() list.ListResource {
	return &listResource[graph.IOSLobApp]{
		typeName: "_ios_lob_app",
		description: "Every in-house iOS app of the tenant, each with its identity (`id`) and its `display_name`; with " +
			"`include_resource = true`, the whole resource as an import reads it, `file_path` being the name of the file Intune holds.",
		entities: iosLobApps,
		result:   asResource(iosLobApps, fromList(iosLobAppResourceModelFrom)),
	}
}
