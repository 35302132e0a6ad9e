package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The OData query options both entity sets share: $select and $expand
// (paging.go has $skiptoken), and the contexts of the collections of one
// entity (a configuration's assignments and groupAssignments, an app's
// assignments).

// entitySet is one of the entity sets the emulator serves, as OData's query
// options see it.
type entitySet struct {
	path       string   // the set's URL path
	context    string   // the set in @odata.context, after "$metadata#"
	typeName   string   // its declared type, qualified, without '#'
	properties []string // the declared type's structural properties, in their casing
	// casts are the properties $select reaches only behind a type-cast
	// segment ("microsoft.graph.iosLobApp/bundleId"), by derived type: OData
	// resolves an unqualified name on the declared type only, and Graph
	// answers a derived type's property without its cast with 400 "Could not
	// find a property named 'X' on type 'microsoft.graph.mobileApp'"
	// (microsoft-graph-docs issue 9988, msgraph-beta-sdk-dotnet issue 563).
	casts      map[string][]string
	navigation []string // the collections $expand may name, in their casing
}

// contextURL is the set's @odata.context.
func (set entitySet) contextURL(serverURL string) string {
	return serverURL + "/beta/$metadata#" + set.context
}

// collectionContext is the @odata.context of one entity's collection name.
func (s *Server) collectionContext(set entitySet, id, name string) string {
	return fmt.Sprintf("%s('%s')/%s", set.contextURL(s.url), id, name)
}

// collectionURL is the URL of one entity's collection name.
func (s *Server) collectionURL(set entitySet, id, name string) string {
	return fmt.Sprintf("%s%s/%s/%s", s.url, set.path, id, name)
}

// parseReadOptions reads $select and $expand, refusing $expand when the read
// behaviour says so. Any other option starting with $ is refused unless it
// is one of extra (lower case, such as "$skiptoken" on lists), so that a
// client relying on, say, $filter fails here instead of passing against a
// server that silently did not filter.
func (s *Server) parseReadOptions(query url.Values, set entitySet, extra ...string) (selected, expand []string, e *graphError) {
	for name := range query {
		lower := strings.ToLower(name)
		if strings.HasPrefix(name, "$") && lower != "$select" && lower != "$expand" && !slices.Contains(extra, lower) {
			return nil, nil, odataBadRequest("The query option '%s' is not supported by graphfake on this path.", name)
		}
	}
	if selected, e = set.parseSelect(query.Get("$select")); e != nil {
		return nil, nil, e
	}
	if expand, e = set.parseExpand(query.Get("$expand")); e != nil {
		return nil, nil, e
	}
	if len(expand) > 0 && s.ReadBehaviour() == ReadsRefuseExpand {
		return nil, nil, expandRefused()
	}
	return selected, expand, nil
}

// parseListOptions is parseReadOptions for a list, with the offset its
// $skiptoken names.
func (s *Server) parseListOptions(query url.Values, set entitySet, extra ...string) (selected, expand []string, offset int, e *graphError) {
	if selected, expand, e = s.parseReadOptions(query, set, append(extra, "$skiptoken")...); e != nil {
		return nil, nil, 0, e
	}
	offset, e = skipToken(query)
	return selected, expand, offset, e
}

// readOne serves the GET of one entity of set: its $select and $expand
// read, then, with s.mu held, render renders the entity with its
// @odata.context, or says that it does not exist (404).
func (s *Server) readOne(w http.ResponseWriter, r *http.Request, set entitySet, render func(selected, expand []string, context string) (any, bool)) {
	selected, expand, e := s.parseReadOptions(r.URL.Query(), set)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	s.answer(w, r, http.StatusOK, func() (any, bool) {
		return render(selected, expand, set.contextURL(s.url)+selectContext(selected)+"/$entity")
	})
}

// parseSelect reads $select: properties of the declared type, or of a
// derived type behind its cast, in any case; each comes back once, in the
// casing of the metadata.
func (set entitySet) parseSelect(raw string) ([]string, *graphError) {
	var selected []string
	for _, item := range optionItems(raw) {
		typeName, properties, name := set.typeName, set.properties, item
		if cast, property, ok := strings.Cut(item, "/"); ok {
			typeName = ""
			for derived := range set.casts {
				if strings.EqualFold(derived, cast) {
					typeName = derived
				}
			}
			if typeName == "" {
				return nil, odataBadRequest("The type '%s' is not derived from '%s'.", cast, set.typeName)
			}
			properties, name = set.casts[typeName], property
		}
		i := slices.IndexFunc(properties, func(p string) bool { return strings.EqualFold(p, name) })
		if i < 0 {
			return nil, odataBadRequest("Parsing OData Select and Expand failed: Could not find a property named '%s' on type '%s'.", name, typeName)
		}
		canonical := properties[i]
		if typeName != set.typeName {
			canonical = typeName + "/" + canonical
		}
		if !slices.Contains(selected, canonical) {
			selected = append(selected, canonical)
		}
	}
	return selected, nil
}

// parseExpand reads $expand: a comma-separated list of navigation
// properties, each in the metadata's casing. Nested options
// (assignments($select=id)) are a client feature the provider does not use,
// so they are refused rather than ignored.
func (set entitySet) parseExpand(raw string) ([]string, *graphError) {
	var names []string
	for _, item := range optionItems(raw) {
		if strings.ContainsAny(item, "()") {
			return nil, odataBadRequest("Query option '$expand' with nested query options ('%s') is not supported by graphfake.", item)
		}
		name := set.navigationNamed(item)
		if name == "" {
			return nil, odataBadRequest("Could not find a property named '%s' on type '%s'.", item, set.typeName)
		}
		names = append(names, name)
	}
	return names, nil
}

// optionItems are the comma-separated items of a query option's value.
func optionItems(value string) []string {
	if value == "" {
		return nil
	}
	items := strings.Split(value, ",")
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return items
}

// navigationNamed is the navigation property named name in any case, in
// the metadata's casing; "" if there is none.
func (set entitySet) navigationNamed(name string) string {
	if i := slices.IndexFunc(set.navigation, func(n string) bool { return strings.EqualFold(n, name) }); i >= 0 {
		return set.navigation[i]
	}
	return ""
}

// selectContext is the part of @odata.context that names selected properties.
func selectContext(selected []string) string {
	if len(selected) == 0 {
		return ""
	}
	return "(" + strings.Join(selected, ",") + ")"
}

// selectProperties renders an entity with only its selected properties (and
// its annotations, @odata.type among them: OData names the type of an
// instance of a derived type whatever was selected); with no $select it is
// the whole entity. A property selected behind a cast is named without it.
func selectProperties(entity any, selected []string) map[string]any {
	b, _ := json.Marshal(entity) // the emulator's entities always marshal
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	if len(selected) == 0 {
		return all
	}
	names := make([]string, 0, len(selected))
	for _, item := range selected {
		names = append(names, item[strings.LastIndex(item, "/")+1:])
	}
	out := map[string]any{}
	for k, v := range all {
		if strings.HasPrefix(k, "@odata.") || slices.Contains(names, k) {
			out[k] = v
		}
	}
	return out
}

// expand renders the collections names of one entity of set into it, under
// the server's read behaviour; items gives a collection's items by name.
// s.mu must be held.
func (s *Server) expand(entity map[string]any, set entitySet, id string, names []string, items func(name string) []any) {
	for _, name := range names {
		expandedCollection(entity, s.reads, name, s.collectionContext(set, id, name), s.collectionURL(set, id, name), items(name), s.pageSize)
	}
}
