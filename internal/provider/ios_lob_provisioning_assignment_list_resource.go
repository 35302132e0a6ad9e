package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// newIOSLobProvisioningAssignmentListResource finds, for `terraform query`,
// the configurations whose assignments could be adopted: those with at
// least one.
func newIOSLobProvisioningAssignmentListResource() list.ListResource {
	return &listResource[graph.Configuration]{
		typeName: "_ios_lob_provisioning_assignment",
		description: "The assignment set of every iOS LOB app provisioning configuration of the tenant that has at least one " +
			"assignment, each with its identity (`configuration_id`) and a display name from the configuration's; with " +
			"`include_resource = true`, its `group` and `target` blocks. It reads each configuration's assignments.",
		entities: configurations,
		result:   assignmentListResult(configurations, &configurationAssignments),
	}
}

// assignmentListResult is the result of one listed object of an assignment
// resource's entity: its assignment set, read as refresh reads it (a list
// does not say which objects have any). An object with none has nothing to
// import, and is left out: a new resource assigns it.
func assignmentListResult[T any, S graph.AssignmentSet, M assignmentModelOf[M]](objects entityKind[T], e *assignedEntity[S, M]) listResult[T] {
	return func(ctx context.Context, client *graph.Client, req list.ListRequest, object T, result *list.ListResult) bool {
		id, name := objects.key(object)
		held, err := e.read(client, ctx, id)
		if graph.IsNotFound(err) { // deleted since the list
			return false
		}
		if err != nil {
			result.Diagnostics.AddError("Unable to read "+e.title+" assignments",
				errorDetail(err, e.call("read the assignments of "+e.noun+" "+id, operation{name: opRead, timeout: defaultReadTimeout})))
			return true
		}
		if empty(*held) {
			return false
		}
		result.DisplayName = "Assignments of " + name
		result.Diagnostics.Append(setIdentity(ctx, result.Identity, e.idAttribute, id)...)
		if !req.IncludeResource || result.Diagnostics.HasError() {
			return true
		}
		var listed M
		m, diags := e.flatten(listed.listed(id), ctx, held)
		result.Diagnostics.Append(diags...)
		if !diags.HasError() {
			result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
		}
		return true
	}
}
