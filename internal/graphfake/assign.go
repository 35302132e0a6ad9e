package graphfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The assign action's parameters, with the exact casing Graph requires.
const (
	paramGroupAssignments  = "appProvisioningConfigurationGroupAssignments"
	paramTargetAssignments = "iOSLobAppProvisioningConfigAssignments"
)

// Property names of targets.
const (
	propODataType  = "@odata.type"
	propFilterID   = "deviceAndAppManagementAssignmentFilterId"
	propFilterType = "deviceAndAppManagementAssignmentFilterType"
	propGroupID    = "groupId"
	propCollection = "collectionId"
)

// targetIDProperty lists the target types assign accepts and the one id
// property each carries ("" for none).
var targetIDProperty = map[string]string{
	"#microsoft.graph.groupAssignmentTarget":                          propGroupID,
	"#microsoft.graph.exclusionGroupAssignmentTarget":                 propGroupID,
	"#microsoft.graph.configurationManagerCollectionAssignmentTarget": propCollection,
	"#microsoft.graph.allDevicesAssignmentTarget":                     "",
	"#microsoft.graph.allLicensedUsersAssignmentTarget":               "",
}

var filterTypes = []string{"none", "include", "exclude"}

// assignRequest is a validated assign body.
type assignRequest struct {
	groupIDs []string
	targets  []Target
}

// parseAssignBody validates an assign body as strictly as Graph and Intune
// do. Errors Graph's OData layer would raise (shape, names, types) come back
// as plain messages; checks Intune makes (GUIDs, filter rules) come back in
// Intune's envelope.
func parseAssignBody(body []byte) (assignRequest, *graphError) {
	var req assignRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, odataBadRequest("Empty Payload. JSON content expected.")
	}
	params, err := decodeObject(body)
	if err != nil {
		return req, odataBadRequest("Invalid JSON in the request payload: %v", err)
	}
	for _, name := range sortedKeys(params) {
		if name != paramGroupAssignments && name != paramTargetAssignments {
			return req, odataBadRequest("The parameter '%s' in the request payload is not a valid parameter for the operation 'assign'.", name)
		}
	}

	groupItems, e := arrayParameter(params, paramGroupAssignments)
	if e != nil {
		return req, e
	}
	targetItems, e := arrayParameter(params, paramTargetAssignments)
	if e != nil {
		return req, e
	}

	if req.groupIDs, e = parseEach(groupItems, paramGroupAssignments, parseGroupAssignment); e != nil {
		return req, e
	}
	req.targets, e = parseEach(targetItems, paramTargetAssignments, parseTargetAssignment)
	return req, e
}

// parseEach parses every item of the array parameter name, naming the
// failing item's place in errors.
func parseEach[T any](items []json.RawMessage, name string, parse func(json.RawMessage, string) (T, *graphError)) ([]T, *graphError) {
	out := make([]T, 0, len(items))
	for i, raw := range items {
		v, e := parse(raw, fmt.Sprintf("%s[%d]", name, i))
		if e != nil {
			return nil, e
		}
		out = append(out, v)
	}
	return out, nil
}

func arrayParameter(params map[string]json.RawMessage, name string) ([]json.RawMessage, *graphError) {
	raw, ok := params[name]
	if !ok {
		return nil, odataBadRequest("The parameter '%s' of the operation 'assign' is missing from the request payload.", name)
	}
	var items []json.RawMessage
	if !bytes.HasPrefix(raw, []byte("[")) || json.Unmarshal(raw, &items) != nil {
		return nil, odataBadRequest("The parameter '%s' of the operation 'assign' must be a JSON array; got %s.", name, raw)
	}
	return items, nil
}

// parseGroupAssignment returns the targetGroupId of a
// mobileAppProvisioningConfigGroupAssignment.
func parseGroupAssignment(raw json.RawMessage, where string) (string, *graphError) {
	props, e := entityObject(raw, where, groupAssignmentODataType)
	if e != nil {
		return "", e
	}
	if e := onlyProperties(props, groupAssignmentODataType, propODataType, "id", "targetGroupId"); e != nil {
		return "", e
	}
	if e := optionalID(props, where); e != nil {
		return "", e
	}
	groupID, e := requiredString(props, "targetGroupId", where)
	if e != nil {
		return "", e
	}
	if !IsGUID(groupID) {
		return "", intuneBadRequest("%s.targetGroupId: '%s' is not a valid GUID.", where, groupID)
	}
	return groupID, nil
}

// parseTargetAssignment returns the target of an
// iosLobAppProvisioningConfigurationAssignment.
func parseTargetAssignment(raw json.RawMessage, where string) (Target, *graphError) {
	props, e := entityObject(raw, where, assignmentODataType)
	if e != nil {
		return Target{}, e
	}
	if e := onlyProperties(props, assignmentODataType, propODataType, "id", "target"); e != nil {
		return Target{}, e
	}
	if e := optionalID(props, where); e != nil {
		return Target{}, e
	}
	rawTarget, ok := props["target"]
	if !ok || isNull(rawTarget) {
		return Target{}, odataBadRequest("%s: the property 'target' is required.", where)
	}
	return parseTarget(rawTarget, where+".target")
}

func parseTarget(raw json.RawMessage, where string) (Target, *graphError) {
	props, err := decodeObject(raw)
	if err != nil {
		return Target{}, odataBadRequest("%s must be a JSON object: %v", where, err)
	}
	odataType, e := requiredString(props, propODataType, where)
	if e != nil {
		return Target{}, e
	}
	idProperty, known := targetIDProperty[odataType]
	if !known {
		return Target{}, odataBadRequest("%s: a type named '%s' could not be resolved by the model as a deviceAndAppManagementAssignmentTarget. When a model is available, each type name must resolve to a valid type.",
			where, strings.TrimPrefix(odataType, "#"))
	}
	allowed := []string{propODataType, propFilterID, propFilterType}
	if idProperty != "" {
		allowed = append(allowed, idProperty)
	}
	if e := onlyProperties(props, odataType, allowed...); e != nil {
		return Target{}, e
	}

	target := Target{ODataType: odataType, FilterType: "none"}
	switch idProperty {
	case propGroupID:
		if target.GroupID, e = requiredString(props, propGroupID, where); e != nil {
			return Target{}, e
		}
		if !IsGUID(target.GroupID) {
			return Target{}, intuneBadRequest("%s.groupId: '%s' is not a valid GUID.", where, target.GroupID)
		}
	case propCollection:
		if target.CollectionID, e = requiredString(props, propCollection, where); e != nil {
			return Target{}, e
		}
		if strings.TrimSpace(target.CollectionID) == "" {
			return Target{}, intuneBadRequest("%s.collectionId must not be empty.", where)
		}
	}

	if raw, ok := props[propFilterID]; ok && !isNull(raw) {
		if target.FilterID, e = requiredString(props, propFilterID, where); e != nil {
			return Target{}, e
		}
		if !IsGUID(target.FilterID) {
			return Target{}, intuneBadRequest("%s.%s: '%s' is not a valid GUID.", where, propFilterID, target.FilterID)
		}
	}
	if _, ok := props[propFilterType]; ok {
		if target.FilterType, e = requiredString(props, propFilterType, where); e != nil {
			return Target{}, e
		}
		if !slices.Contains(filterTypes, target.FilterType) {
			return Target{}, odataBadRequest("%s: cannot convert the literal '%s' to the expected type 'microsoft.graph.deviceAndAppManagementAssignmentFilterType'.", where, target.FilterType)
		}
	}
	switch {
	case target.FilterID != "" && target.FilterType == "none":
		return Target{}, intuneBadRequest("%s: an assignment filter id requires a filter type of include or exclude.", where)
	case target.FilterID == "" && target.FilterType != "none":
		return Target{}, intuneBadRequest("%s: filter type '%s' requires an assignment filter id.", where, target.FilterType)
	}
	return target, nil
}

// entityObject decodes an array item and requires its @odata.type to be
// exactly wantType.
func entityObject(raw json.RawMessage, where, wantType string) (map[string]json.RawMessage, *graphError) {
	props, err := decodeObject(raw)
	if err != nil {
		return nil, odataBadRequest("%s must be a JSON object: %v", where, err)
	}
	odataType, e := requiredString(props, propODataType, where)
	if e != nil {
		return nil, e
	}
	if odataType != wantType {
		return nil, odataBadRequest("%s: the @odata.type '%s' is not valid here; expected '%s'.", where, odataType, wantType)
	}
	return props, nil
}

// onlyProperties rejects any property the type does not define, with the
// message OData gives.
func onlyProperties(props map[string]json.RawMessage, odataType string, allowed ...string) *graphError {
	for _, name := range sortedKeys(props) {
		if !slices.Contains(allowed, name) {
			return odataBadRequest("The property '%s' does not exist on type '%s'. Make sure to only use property names that are defined by the type or mark the type as open type.",
				name, strings.TrimPrefix(odataType, "#"))
		}
	}
	return nil
}

// optionalID accepts an "id" that is absent, null or a string. Intune
// assigns its own ids, so the value is not used.
func optionalID(props map[string]json.RawMessage, where string) *graphError {
	raw, ok := props["id"]
	if !ok || isNull(raw) {
		return nil
	}
	_, e := requiredString(props, "id", where)
	return e
}

func requiredString(props map[string]json.RawMessage, name, where string) (string, *graphError) {
	raw, ok := props[name]
	if !ok || isNull(raw) {
		return "", odataBadRequest("%s: the property '%s' is required.", where, name)
	}
	var s string
	if !bytes.HasPrefix(raw, []byte(`"`)) || json.Unmarshal(raw, &s) != nil {
		return "", odataBadRequest("%s: the property '%s' must be a string; got %s.", where, name, raw)
	}
	return s, nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

// decodeObject parses exactly one JSON object and keeps each member's raw
// value. Unlike json.Unmarshal into a map it rejects duplicate names and
// trailing data, as OData does.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if tok != json.Delim('{') {
		return nil, errors.New("expected a JSON object")
	}
	members := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // inside an object the decoder only yields string names
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, err
		}
		if _, dup := members[name]; dup {
			return nil, fmt.Errorf("duplicate property named '%s' is not allowed", name)
		}
		members[name] = bytes.TrimSpace(value)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return members, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
