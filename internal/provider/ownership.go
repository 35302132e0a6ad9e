package provider

import (
	"fmt"
	"strings"
	"sync"

	"github.com/intunetf/terraform-provider-intune/internal/graph"
)

// owners is which configuration each intune_ios_lob_provisioning_assignment
// of one configured provider plans to own and writes. Terraform configures
// a provider anew for every plan and every apply, and one provider process
// plans and applies every instance of its configuration, so two instances
// that manage the same configuration meet here: at plan time when both sets
// are known, and at the latest when the second one is about to write.
type owners struct {
	mu      sync.Mutex
	planned map[string]graph.Assignments // by lower-case configuration id
	writing map[string]bool
}

func newOwners() *owners {
	return &owners{planned: map[string]graph.Assignments{}, writing: map[string]bool{}}
}

// plan records that an instance plans set for configuration id. It reports
// false when another instance plans a different set for it. The same set
// twice is not a conflict: Terraform plans a replaced instance twice, the
// second time from a null prior state.
func (o *owners) plan(id string, set graph.Assignments) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := strings.ToLower(id)
	if earlier, ok := o.planned[key]; ok && !earlier.SameSet(set) {
		return false
	}
	o.planned[key] = set
	return true
}

// write records that an instance is about to write configuration id in
// this apply; false when another instance already did. Terraform creates or
// updates each instance once per apply.
func (o *owners) write(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := strings.ToLower(id)
	if o.writing[key] {
		return false
	}
	o.writing[key] = true
	return true
}

// twoOwnersDetail is the error for two instances on one configuration.
func twoOwnersDetail(id string) string {
	return fmt.Sprintf("Two intune_ios_lob_provisioning_assignment resources manage configuration %s (GUIDs compare without regard to case). "+
		"Each owns the configuration's whole assignment set, so each apply would replace what the other wrote. "+
		"Manage a configuration with one resource: merge the group and target blocks of both into one of them and remove the other.", id)
}

// describeAssignments says briefly what a set holds, for error messages.
func describeAssignments(a graph.Assignments) string {
	if len(a.Groups) == 0 && len(a.Targets) == 0 {
		return "no assignments"
	}
	const most = 6
	var parts []string
	for _, g := range a.Groups {
		parts = append(parts, "group "+g.TargetGroupID+" (legacy group assignment)")
	}
	for _, ta := range a.Targets {
		t := ta.Target
		name, ok := targetNameOf(t.ODataType)
		if !ok {
			name = t.ODataType
		}
		s := "target " + name
		switch {
		case t.GroupID != "":
			s += " " + t.GroupID
		case t.CollectionID != "":
			s += " " + t.CollectionID
		}
		if t.FilterType != "" && t.FilterType != graph.FilterTypeNone {
			s += fmt.Sprintf(" (%s filter %s)", t.FilterType, t.FilterID)
		}
		parts = append(parts, s)
	}
	if len(parts) > most {
		parts = append(parts[:most], fmt.Sprintf("and %d more", len(parts)-most))
	}
	return strings.Join(parts, "; ")
}

// adoptDetail is Create's error for a configuration that already holds
// assignments other than the planned ones: nothing is written, and it says
// how to bring them under Terraform so that a plan shows what would change.
func adoptDetail(id string, held graph.Assignments) string {
	return fmt.Sprintf("Configuration %[1]s already has assignments that this resource does not plan: %[2]s.\n\n"+
		"Creating the resource would replace them (Graph's assign replaces the whole set), so nothing was written. "+
		"To manage them with Terraform, import the configuration's assignments first; the next plan then shows, line by line, "+
		"what would change:\n\n"+
		"  import {\n    to = intune_ios_lob_provisioning_assignment.<name>\n    id = %[1]q\n  }\n\n"+
		"or: terraform import intune_ios_lob_provisioning_assignment.<name> %[1]s\n\n"+
		"where <name> is this resource's name (shown with this error). To keep them, add them to the resource's group and target blocks.",
		id, describeAssignments(held))
}
