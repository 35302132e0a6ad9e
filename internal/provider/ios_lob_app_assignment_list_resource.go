package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobAppAssignmentListResource finds, for `terraform query`, the
// iOS LOB apps whose assignments could be adopted: those with at least one.
func newIOSLobAppAssignmentListResource() list.ListResource {
	return &listResource[graph.IOSLobApp]{
		typeName: "_ios_lob_app_assignment",
		description: "The assignment set of every in-house iOS app of the tenant that has at least one assignment, each with " +
			"its identity (`app_id`) and a display name from the app's; with `include_resource = true`, its `assignment` blocks. " +
			"It reads each app's assignments.",
		entities: iosLobApps,
		result:   assignmentListResult(iosLobApps, &appAssignments),
	}
}
