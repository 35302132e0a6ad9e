package provider

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// owners is which object each assignment resource instance of one
// configured provider plans to own and writes. Terraform configures a
// provider anew for every plan and every apply, and one provider process
// plans and applies every instance of its configuration, so two instances
// that manage the same object meet here: at plan time when both sets are
// known, and at the latest when the second one is about to write. Objects
// are keyed by resource type and lower-case id.
type owners struct {
	mu      sync.Mutex
	planned map[string][][]string // the planned set's collections
	writing map[string]bool
}

func newOwners() *owners {
	return &owners{planned: map[string][][]string{}, writing: map[string]bool{}}
}

func ownerKey(typeName, id string) string { return typeName + "/" + strings.ToLower(id) }

// plan records that an instance plans set for object id. It reports false
// when another instance plans a different set for it. The same set twice is
// not a conflict: Terraform plans a replaced instance twice, the second time
// from a null prior state.
func (o *owners) plan(typeName, id string, set graph.AssignmentSet) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	key, collections := ownerKey(typeName, id), set.Collections()
	if earlier, ok := o.planned[key]; ok && !slices.EqualFunc(earlier, collections, slices.Equal) {
		return false
	}
	o.planned[key] = collections
	return true
}

// write records that an instance is about to write object id in this
// apply; false when another instance already did. Terraform creates or
// updates each instance once per apply.
func (o *owners) write(typeName, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := ownerKey(typeName, id)
	if o.writing[key] {
		return false
	}
	o.writing[key] = true
	return true
}

// describeAssignments says briefly what a set holds, for error messages.
func describeAssignments(a graph.Assignments) string {
	var parts []string
	for _, g := range a.Groups {
		parts = append(parts, "group "+g.TargetGroupID+" (legacy group assignment)")
	}
	for _, ta := range a.Targets {
		parts = append(parts, "target "+describeTarget(ta.Target))
	}
	return describeParts(parts, "no assignments")
}

// describeTarget says who a target reaches: its type word (Graph's type
// when unknown), id and filter.
func describeTarget(t graph.Target) string {
	s, ok := targetKinds.nameOf(t.ODataType)
	if !ok {
		s = t.ODataType
	}
	switch {
	case t.GroupID != "":
		s += " " + t.GroupID
	case t.CollectionID != "":
		s += " " + t.CollectionID
	}
	if t.FilterType != "" && t.FilterType != graph.FilterTypeNone {
		s += fmt.Sprintf(" (%s filter %s)", t.FilterType, t.FilterID)
	}
	return s
}

// describeParts joins the first few parts of a description; none when
// there are none.
func describeParts(parts []string, none string) string {
	const most = 6
	if len(parts) == 0 {
		return none
	}
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	return strings.Join(parts, "; ")
}
