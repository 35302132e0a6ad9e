package provider

import (
	"context"
	"iter"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// What every list resource (`terraform query`, Terraform 1.14+) shares:
// the provider's client, the `display_name_prefix` filter, and the walk
// over the tenant's entities of one kind that each turns into results.

// The list resources, one per resource, under the resource's name: what
// each lists, and the result each listed entity gives.
var listResources = []func() list.ListResource{
	listOf("_ios_lob_provisioning_configuration", configurations, asResource(configurations, readListedConfiguration),
		"Every iOS LOB app provisioning configuration of the tenant, each with its identity (`id`) and its "+
			"`display_name`; with `include_resource = true`, the whole resource, its profile included (one request per configuration)."),
	// An assignment set is listed when its configuration has at least one
	// assignment; with none there is nothing to adopt.
	listOf("_ios_lob_provisioning_assignment", configurations, assignmentListResult(configurations, &configurationAssignments),
		"The assignment set of every iOS LOB app provisioning configuration of the tenant that has at least one "+
			"assignment, each with its identity (`configuration_id`) and a display name from the configuration's; with "+
			"`include_resource = true`, its `group` and `target` blocks. It reads each configuration's assignments."),
	// The list of apps carries every attribute the resource reads, so a
	// result needs no request of its own.
	listOf("_ios_lob_app", iosLobApps, asResource(iosLobApps, fromList(iosLobAppResourceModelFrom)),
		"Every in-house iOS app of the tenant, each with its identity (`id`) and its `display_name`; with "+
			"`include_resource = true`, the whole resource as an import reads it, `file_path` being the name of the file Intune holds."),
	listOf("_ios_lob_app_assignment", iosLobApps, assignmentListResult(iosLobApps, &appAssignments),
		"The assignment set of every in-house iOS app of the tenant that has at least one assignment, each with "+
			"its identity (`app_id`) and a display name from the app's; with `include_resource = true`, its `assignment` blocks. "+
			"It reads each app's assignments."),
}

// listOf is the factory of a list resource.
func listOf[T any](typeName string, entities entityKind[T], result listResult[T], description string) func() list.ListResource {
	return func() list.ListResource {
		return &listResource[T]{typeName: typeName, description: description, entities: entities, result: result}
	}
}

// listResource is a list resource: what sets one apart is its name, its
// description, the kind of entity it walks and the result each entity
// gives (in their own files).
type listResource[T any] struct {
	configuredResource
	typeName    string // the managed resource's, after the provider's name
	description string
	entities    entityKind[T]
	result      listResult[T]
}

var _ list.ListResourceWithConfigure = &listResource[graph.Configuration]{}

// listConfigModel is the configuration of a `list` block.
type listConfigModel struct {
	DisplayNamePrefix types.String `tfsdk:"display_name_prefix"`
}

func (l *listResource[T]) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + l.typeName
}

// ListResourceConfigSchema is the `config` of a `list` block.
func (l *listResource[T]) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: l.description + " Results are ordered by the " + l.entities.short + "'s `display_name`, then its id.",
		Attributes: map[string]listschema.Attribute{
			"display_name_prefix": listschema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only " + l.entities.short + "s whose `display_name` starts with this, compared without regard to case.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
		},
	}
}

// listResult builds one result from an entity, reading Graph with client
// as it needs, or reports false to leave the entity out.
type listResult[T any] func(ctx context.Context, client *graph.Client, req list.ListRequest, entity T, result *list.ListResult) bool

// asResource is the listResult of a list resource whose results are the
// entities themselves: the entity's id as identity (`id`), its name as
// display name, and with include_resource the resource read gives. read
// reports false for an entity gone since the list, which is left out; an
// error it adds goes with the result, which then has no resource.
func asResource[T, M any](entities entityKind[T], read func(ctx context.Context, client *graph.Client, entity T, diags *diag.Diagnostics) (M, bool)) listResult[T] {
	return func(ctx context.Context, client *graph.Client, req list.ListRequest, entity T, result *list.ListResult) bool {
		id, name := entities.key(entity)
		result.DisplayName = name
		result.Diagnostics.Append(setIdentity(ctx, result.Identity, "id", id)...)
		if !req.IncludeResource || result.Diagnostics.HasError() {
			return true
		}
		m, found := read(ctx, client, entity, &result.Diagnostics)
		if found && !result.Diagnostics.HasError() {
			result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
		}
		return found
	}
}

// fromList is the read of asResource for a list that carries the whole
// resource: from maps the listed entity, with no request.
func fromList[T, M any](from func(context.Context, *T) (M, diag.Diagnostics)) func(context.Context, *graph.Client, T, *diag.Diagnostics) (M, bool) {
	return func(ctx context.Context, _ *graph.Client, entity T, diags *diag.Diagnostics) (M, bool) {
		m, d := from(ctx, &entity)
		diags.Append(d...)
		return m, true
	}
}

// List streams, in order, a result per entity whose name has the
// configured prefix and that l.result keeps, up to the query's limit. The
// result is built for batch entities at a time, since each may read Graph
// (a configuration's payload, its assignments): a query of a hundred
// configurations then takes some ten rounds of requests, not a hundred,
// and the provider's limiter keeps the requests within Intune's budget.
func (l *listResource[T]) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	stream.Results = l.results(ctx, req)
}

func (l *listResource[T]) results(ctx context.Context, req list.ListRequest) iter.Seq[list.ListResult] {
	var cfg listConfigModel
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		return list.ListResultsStreamDiagnostics(diags)
	}
	if l.client == nil {
		var diags diag.Diagnostics
		diags.AddError("Provider not configured", "The intune provider was not configured before the query; this is a bug in the provider.")
		return list.ListResultsStreamDiagnostics(diags)
	}
	return func(push func(list.ListResult) bool) {
		ctx, cancel := context.WithTimeout(ctx, defaultReadTimeout)
		defer cancel()
		var diags diag.Diagnostics
		all, ok := l.entities.all(ctx, l.client, operation{name: opRead, timeout: defaultReadTimeout}, &diags)
		if !ok {
			push(list.ListResult{Diagnostics: diags})
			return
		}
		const batch = 8
		matched := l.entities.withDisplayNamePrefix(all, cfg.DisplayNamePrefix.ValueString())
		pushed := int64(0)
		for start := 0; start < len(matched); start += batch {
			part := matched[start:min(start+batch, len(matched))]
			results := make([]list.ListResult, len(part))
			kept := make([]bool, len(part))
			var wg sync.WaitGroup
			for i := range part {
				wg.Go(func() {
					results[i] = req.NewListResult(ctx)
					kept[i] = l.result(ctx, l.client, req, part[i], &results[i])
				})
			}
			wg.Wait()
			for i := range part {
				if !kept[i] {
					continue
				}
				if !push(results[i]) {
					return
				}
				if pushed++; req.Limit > 0 && pushed >= req.Limit {
					return
				}
			}
		}
	}
}

// nullResourceTimeouts is the `timeouts` block a listed resource has: none.
func nullResourceTimeouts() resourceTimeouts {
	return resourceTimeouts{Timeouts: timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		opCreate: types.StringType, opRead: types.StringType, opUpdate: types.StringType, opDelete: types.StringType,
	})}}
}

// readListedConfiguration reads the configuration, since the full
// resource needs its payload, which only a read of it carries.
func readListedConfiguration(ctx context.Context, client *graph.Client, cfg graph.Configuration, diags *diag.Diagnostics) (configurationResourceModel, bool) {
	full, err := client.GetConfiguration(ctx, cfg.ID)
	if graph.IsNotFound(err) { // deleted since the list
		return configurationResourceModel{}, false
	}
	if err != nil {
		diags.AddError("Unable to read provisioning configuration", errorDetail(err, graphCall{
			action: "read " + configurationNoun(cfg.ID), op: operation{name: opRead, timeout: defaultReadTimeout},
		}))
		return configurationResourceModel{}, true
	}
	m, d := configurationResourceModelFrom(ctx, full, "")
	diags.Append(d...)
	return m, true
}
