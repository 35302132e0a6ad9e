package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// What the data sources and list resources that find Graph's entities
// share: how each kind is listed and named, the `display_name_prefix`
// filter and its order, and the lookup of exactly one by an attribute
// other than its id. Each filters the whole list here, since Graph
// documents $filter on these collections for too little (see each kind).

// entityKind is one kind of entity: how to list it and how to speak of it.
type entityKind[T any] struct {
	noun           string                                            // in details: "iOS LOB app provisioning configuration"; plural with "s"
	summary, title string                                            // in summaries: "provisioning configuration", "Provisioning configuration"; plural with "s"
	short          string                                            // "configuration": "only configurations whose display_name ..."
	listAction     string                                            // graphCall.action of the list
	listDataSource string                                            // the data source that lists them, for advice
	list           func(*graph.Client, context.Context) ([]T, error) // a method expression of graph.Client
	key            func(T) (id, displayName string)
}

// configurations: Graph documents $filter on this collection for id only.
var configurations = entityKind[graph.Configuration]{
	noun:           "iOS LOB app provisioning configuration",
	summary:        "provisioning configuration",
	title:          "Provisioning configuration",
	short:          "configuration",
	listAction:     listConfigurations,
	listDataSource: "intune_ios_lob_provisioning_configurations",
	list:           (*graph.Client).ListConfigurations,
	key:            func(c graph.Configuration) (string, string) { return c.ID, c.DisplayName },
}

// iosLobApps: Graph documents one $filter on mobileApps, the
// isof('microsoft.graph.iosLobApp') that ListIOSLobApps sends ("List
// iosLobApps"); no filter on displayName or bundleId is documented for it,
// and where Graph compares strings its eq ignores case, while names here
// are compared exactly. So every iOS app is listed (one paged request, a
// tenant has tens to hundreds) and matched here.
var iosLobApps = entityKind[graph.IOSLobApp]{
	noun:           "iOS LOB app",
	summary:        "iOS app",
	title:          "iOS app",
	short:          "app",
	listAction:     "list the iOS apps",
	listDataSource: "intune_ios_lob_apps",
	list:           (*graph.Client).ListIOSLobApps,
	key:            func(a graph.IOSLobApp) (string, string) { return a.ID, a.DisplayName },
}

// all lists every entity of the kind, every page; on an error it adds the
// diagnostic and reports false.
func (k entityKind[T]) all(ctx context.Context, client *graph.Client, op operation, diags *diag.Diagnostics) ([]T, bool) {
	all, err := k.list(client, ctx)
	if err != nil {
		diags.AddError("Unable to list "+k.summary+"s", errorDetail(err, graphCall{action: k.listAction, op: op}))
		return nil, false
	}
	return all, true
}

// withDisplayNamePrefix is what the list data sources and the list
// resources return: the entities whose name starts with prefix, without
// regard to case, ordered by name, then id.
func (k entityKind[T]) withDisplayNamePrefix(all []T, prefix string) []T {
	prefix = strings.ToLower(prefix)
	var matched []T
	for _, e := range all {
		if _, name := k.key(e); strings.HasPrefix(strings.ToLower(name), prefix) {
			matched = append(matched, e)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		idI, nameI := k.key(matched[i])
		idJ, nameJ := k.key(matched[j])
		if nameI != nameJ {
			return nameI < nameJ
		}
		return idI < idJ
	})
	return matched
}

// describe names entities for a message: "Sales" (id ...), ...
func (k entityKind[T]) describe(es []T) string {
	parts := make([]string, len(es))
	for i, e := range es {
		id, name := k.key(e)
		parts[i] = fmt.Sprintf("%q (id %s)", name, id)
	}
	return strings.Join(parts, ", ")
}

// lookup is a search for one entity by the value of an attribute.
type lookup[T any] struct {
	attribute string         // the data source's attribute: "display_name"
	value     string         // what it was given
	what      string         // "name", "bundle id"
	is, are   string         // "is named", "are named"
	of        func(T) string // the entity's value
	exactly   bool           // compared exactly, case included; else without regard to case
	compared  string         // how, for "0 matches": "names are compared exactly, case included"
	remedy    string         // for several matches: "rename them so that names are unique"
}

// searchAttribute is a data source's attribute that a lookup searches by:
// given, or else read.
func searchAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:            true,
		Computed:            true,
		MarkdownDescription: description,
		Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
	}
}

// named is the lookup by exact display name.
func (k entityKind[T]) named(name string) lookup[T] {
	return lookup[T]{
		attribute: "display_name", value: name, what: "name", is: "is named", are: "are named",
		of:       func(e T) string { _, n := k.key(e); return n },
		exactly:  true,
		compared: "names are compared exactly, case included",
		remedy:   "rename them so that names are unique",
	}
}

// one is the entity of all that l matches, when exactly one does; else it
// adds an error on l's attribute that says how many did (none: and which
// differ only in case; several: which, with their ids) and reports false.
func (k entityKind[T]) one(all []T, l lookup[T], diags *diag.Diagnostics) (T, bool) {
	var exact, otherCase []T
	for _, e := range all {
		switch v := l.of(e); {
		case v == l.value || !l.exactly && strings.EqualFold(v, l.value):
			exact = append(exact, e)
		case strings.EqualFold(v, l.value):
			otherCase = append(otherCase, e)
		}
	}
	switch len(exact) {
	case 1:
		return exact[0], true
	case 0:
		detail := fmt.Sprintf("No %s %s %q (0 matches among %d; %s).", k.noun, l.is, l.value, len(all), l.compared)
		if len(otherCase) > 0 {
			detail += fmt.Sprintf(" %d differ only in case: %s.", len(otherCase), k.describe(otherCase))
		}
		detail += fmt.Sprintf(" Check %s, or list %ss with the %s data source.", l.attribute, l.what, k.listDataSource)
		diags.AddAttributeError(path.Root(l.attribute), k.title+" not found", detail)
	default:
		diags.AddAttributeError(path.Root(l.attribute), "Ambiguous "+k.summary+" "+l.what,
			fmt.Sprintf("%d %ss %s %q: %s. Look one up by id instead, or %s.", len(exact), k.noun, l.are, l.value, k.describe(exact), l.remedy))
	}
	var none T
	return none, false
}
