package graphfake

import (
	"fmt"
	"slices"
	"strings"
)

// ReadBehaviour is how the emulator answers the reads whose behaviour on the
// real service is unknown or known to vary: $expand of a configuration's
// assignment collections, and the plain list of configurations. Each value
// plays one behaviour that Intune is known or documented to show (see
// ARCHITECTURE.md, "Reads"), so that a client can be proven correct under
// every one of them. The documented collection routes,
// {id}/assignments and {id}/groupAssignments, answer faithfully under all.
type ReadBehaviour string

const (
	// ReadsHonourExpand, the default (""), expands as OData's JSON format
	// describes: the first page of each expanded collection inline, then
	// "NAME@odata.nextLink" to the next page of the collection route. The
	// plain list answers every configuration.
	ReadsHonourExpand ReadBehaviour = "expand-honoured"
	// ReadsIgnoreExpand accepts $expand and leaves the expanded properties
	// out of the answer, as services that do not implement it for a
	// navigation property do.
	ReadsIgnoreExpand ReadBehaviour = "expand-ignored"
	// ReadsEmptyExpand answers every expanded collection with an empty
	// array, whatever it holds: what Intune did for $expand=assignments on
	// sibling entities (deploymenttheory/terraform-provider-microsoft365
	// PR 3623, microsoftgraph/graph-explorer-v4 issue 2051,
	// microsoftgraph/msgraph-sdk-powershell issue 3337).
	ReadsEmptyExpand ReadBehaviour = "expand-empty"
	// ReadsRefuseExpand answers any request with $expand 400 BadRequest.
	ReadsRefuseExpand ReadBehaviour = "expand-refused"
	// ReadsTruncateExpand answers each expanded collection with its first
	// entry only and no next link: an answer that looks complete and is not.
	ReadsTruncateExpand ReadBehaviour = "expand-truncated"
	// ReadsListNeedsExpand answers the plain list of configurations with
	// "value": [] unless the request asks $expand=assignments, as reported in
	// microsoftgraph/microsoft-graph-docs issue 5025 (and why Microsoft's
	// powershell-intune-samples list with ?$expand=assignments).
	// Everything else is as ReadsHonourExpand.
	ReadsListNeedsExpand ReadBehaviour = "list-needs-expand"
)

// ReadBehaviours is every behaviour, the default first.
var ReadBehaviours = []ReadBehaviour{
	ReadsHonourExpand, ReadsIgnoreExpand, ReadsEmptyExpand, ReadsRefuseExpand, ReadsTruncateExpand, ReadsListNeedsExpand,
}

// ParseReadBehaviour reads a behaviour's name; "" is the default.
func ParseReadBehaviour(s string) (ReadBehaviour, error) {
	if s == "" {
		return ReadsHonourExpand, nil
	}
	b := ReadBehaviour(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(ReadBehaviours, b) {
		names := make([]string, len(ReadBehaviours))
		for i, b := range ReadBehaviours {
			names[i] = string(b)
		}
		return "", fmt.Errorf("graphfake: unknown read behaviour %q; want one of %s", s, strings.Join(names, ", "))
	}
	return b, nil
}

// SetReadBehaviour changes how reads are answered from now on; "" restores
// the default.
func (s *Server) SetReadBehaviour(b ReadBehaviour) {
	if b == "" {
		b = ReadsHonourExpand
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = b
}

// ReadBehaviour is the behaviour reads are answered with.
func (s *Server) ReadBehaviour() ReadBehaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// expandRefused is the 400 of ReadsRefuseExpand, worded as OData's
// "query option not allowed" answer.
func expandRefused() *graphError {
	return odataBadRequest("Query option 'Expand' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.")
}

// expandedCollection renders one expanded collection into entity under
// behaviour b: all holds every item, base the collection route's URL (for
// the next link). It returns nothing; entity is changed in place.
func expandedCollection(entity map[string]any, b ReadBehaviour, name, context, base string, all []any, pageSize int) {
	switch b {
	case ReadsIgnoreExpand:
		return
	case ReadsEmptyExpand:
		all = nil
	case ReadsTruncateExpand:
		all = all[:min(1, len(all))]
		pageSize = len(all) + 1 // never a next link
	}
	end := min(pageSize, len(all))
	entity[name+"@odata.context"] = context
	entity[name] = append([]any{}, all[:end]...) // never null
	if end < len(all) {
		entity[name+"@odata.nextLink"] = base + "?$skiptoken=" + encodeSkipToken(end)
	}
}
