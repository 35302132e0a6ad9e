package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// OData type names of the assignment payloads. The casing is Graph's own and
// must be sent exactly so.
const (
	TypeConfiguration    = "#microsoft.graph.iosLobAppProvisioningConfiguration"
	TypeGroupAssignment  = "#microsoft.graph.mobileAppProvisioningConfigGroupAssignment"
	TypeTargetAssignment = "#microsoft.graph.iosLobAppProvisioningConfigurationAssignment"

	TargetGroup                          = "#microsoft.graph.groupAssignmentTarget"
	TargetExclusionGroup                 = "#microsoft.graph.exclusionGroupAssignmentTarget"
	TargetAllDevices                     = "#microsoft.graph.allDevicesAssignmentTarget"
	TargetAllLicensedUsers               = "#microsoft.graph.allLicensedUsersAssignmentTarget"
	TargetConfigurationManagerCollection = "#microsoft.graph.configurationManagerCollectionAssignmentTarget"

	FilterTypeNone    = "none"
	FilterTypeInclude = "include"
	FilterTypeExclude = "exclude"
)

// Configuration is an iosLobAppProvisioningConfiguration.
type Configuration struct {
	ID              string `json:"id"`
	DisplayName     string `json:"displayName"`
	Description     string `json:"description"` // null reads as ""
	PayloadFileName string `json:"payloadFileName"`
	// Payload is the profile, base64 as Graph sent it (Edm.Binary); "" when
	// the call did not ask for it.
	Payload string `json:"payload"`
	// ExpirationDateTime is nil when Graph sent null; Intune also reports an
	// unset value as 0001-01-01T00:00:00Z, which IsZero recognises.
	ExpirationDateTime   *time.Time `json:"expirationDateTime"`
	RoleScopeTagIDs      []string   `json:"roleScopeTagIds"`
	CreatedDateTime      time.Time  `json:"createdDateTime"`
	LastModifiedDateTime time.Time  `json:"lastModifiedDateTime"`
	Version              int32      `json:"version"`
}

// GroupAssignment is one entry of groupAssignments
// (appProvisioningConfigurationGroupAssignments on assign).
type GroupAssignment struct {
	ID            string `json:"id,omitempty"`
	TargetGroupID string `json:"targetGroupId"`
}

// MarshalJSON writes the entry as assign takes it: its type named, no id
// (Intune makes new ones).
func (g GroupAssignment) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"@odata.type": TypeGroupAssignment, "targetGroupId": g.TargetGroupID})
}

// TargetAssignment is one entry of assignments
// (iOSLobAppProvisioningConfigAssignments on assign).
type TargetAssignment struct {
	ID     string `json:"id,omitempty"`
	Target Target `json:"target"`
}

// MarshalJSON writes the entry as assign takes it, as GroupAssignment's.
func (a TargetAssignment) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{"@odata.type": TypeTargetAssignment, "target": a.Target})
}

// Target is a deviceAndAppManagementAssignmentTarget. ODataType is kept as
// Graph sent it, known or not, so that callers can refuse types they do not
// understand instead of dropping them.
type Target struct {
	ODataType    string
	GroupID      string // group and exclusion group targets
	CollectionID string // configuration manager collection targets
	FilterID     string // "" is sent as null
	FilterType   string // "" is sent as "none"
}

// MarshalJSON writes only the properties that exist on the target's type:
// Graph rejects groupId on an allDevicesAssignmentTarget, for instance.
func (t Target) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"@odata.type": t.ODataType,
		"deviceAndAppManagementAssignmentFilterId":   nil,
		"deviceAndAppManagementAssignmentFilterType": FilterTypeNone,
	}
	if t.FilterID != "" {
		m["deviceAndAppManagementAssignmentFilterId"] = t.FilterID
	}
	if t.FilterType != "" {
		m["deviceAndAppManagementAssignmentFilterType"] = t.FilterType
	}
	switch t.ODataType {
	case TargetGroup, TargetExclusionGroup:
		m["groupId"] = t.GroupID
	case TargetConfigurationManagerCollection:
		m["collectionId"] = t.CollectionID
	case TargetAllDevices, TargetAllLicensedUsers:
	default:
		return nil, fmt.Errorf("unsupported assignment target type %q", t.ODataType)
	}
	return json.Marshal(m)
}

func (t *Target) UnmarshalJSON(b []byte) error {
	var wire struct {
		ODataType    string  `json:"@odata.type"`
		GroupID      string  `json:"groupId"`
		CollectionID string  `json:"collectionId"`
		FilterID     *string `json:"deviceAndAppManagementAssignmentFilterId"`
		FilterType   string  `json:"deviceAndAppManagementAssignmentFilterType"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*t = Target{
		ODataType:    wire.ODataType,
		GroupID:      wire.GroupID,
		CollectionID: wire.CollectionID,
		FilterType:   wire.FilterType,
	}
	if wire.FilterID != nil {
		t.FilterID = *wire.FilterID
	}
	if t.FilterType == "" {
		t.FilterType = FilterTypeNone
	}
	return nil
}

// Assignments is the whole assignment set of one configuration.
type Assignments struct {
	Groups  []GroupAssignment
	Targets []TargetAssignment
}

// Collections: the groups and the targets, which Graph reads apart. Entries
// are compared as Graph does: GUIDs without regard to case, duplicates
// counted once.
func (a Assignments) Collections() [][]string {
	groups := make([]string, 0, len(a.Groups))
	for _, g := range a.Groups {
		groups = append(groups, strings.ToLower(g.TargetGroupID))
	}
	targets := make([]string, 0, len(a.Targets))
	for _, ta := range a.Targets {
		targets = append(targets, targetKey(ta.Target))
	}
	return [][]string{canonical(groups), canonical(targets)}
}

// SameSet reports whether a and b hold the same assignments in any order.
// Entry ids are ignored: Intune assigns new ones on every assign.
func (a Assignments) SameSet(b Assignments) bool { return SameCollections(a, b) }

// targetKey is a target as Graph compares it. The collection id is not a
// GUID, so its case is kept.
func targetKey(t Target) string {
	filterType := t.FilterType
	if filterType == "" {
		filterType = FilterTypeNone
	}
	return strings.Join([]string{strings.ToLower(t.ODataType), strings.ToLower(t.GroupID),
		t.CollectionID, strings.ToLower(t.FilterID), strings.ToLower(filterType)}, "\x00")
}

// assignRequest is the body of POST {base}/assign. Both collections are
// always present: assign replaces the whole set, so an absent collection
// would mean "empty" to Graph anyway and we say so explicitly.
type assignRequest struct {
	Groups  []GroupAssignment  `json:"appProvisioningConfigurationGroupAssignments"`
	Targets []TargetAssignment `json:"iOSLobAppProvisioningConfigAssignments"`
}
