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

// The target types (derived types of deviceAndAppManagementAssignmentTarget)
// both assign actions accept.
const (
	groupTargetType            = "#microsoft.graph.groupAssignmentTarget"
	exclusionTargetType        = "#microsoft.graph.exclusionGroupAssignmentTarget"
	allDevicesTargetType       = "#microsoft.graph.allDevicesAssignmentTarget"
	allLicensedUsersTargetType = "#microsoft.graph.allLicensedUsersAssignmentTarget"
	collectionTargetType       = "#microsoft.graph.configurationManagerCollectionAssignmentTarget"
)

// targetIDProperty lists the target types assign accepts and the one id
// property each carries ("" for none).
var targetIDProperty = map[string]string{
	groupTargetType:            propGroupID,
	exclusionTargetType:        propGroupID,
	collectionTargetType:       propCollection,
	allDevicesTargetType:       "",
	allLicensedUsersTargetType: "",
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
	arrays, e := actionArrays(body, "assign", paramGroupAssignments, paramTargetAssignments)
	if e != nil {
		return req, e
	}
	if req.groupIDs, e = parseEach(arrays[0], paramGroupAssignments, parseGroupAssignment); e != nil {
		return req, e
	}
	req.targets, e = parseEach(arrays[1], paramTargetAssignments, parseTargetAssignment)
	return req, e
}

// actionParameters decodes the body of a bound action: a JSON object with
// exactly the parameters names (OData's messages for an empty body, an
// unknown parameter or a missing one); the caller checks their values.
func actionParameters(body []byte, action string, names ...string) (map[string]json.RawMessage, *graphError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, odataBadRequest("Empty Payload. JSON content expected.")
	}
	params, err := decodeObject(body)
	if err != nil {
		return nil, odataBadRequest("Invalid JSON in the request payload: %v", err)
	}
	for _, name := range sortedKeys(params) {
		if !slices.Contains(names, name) {
			return nil, odataBadRequest("The parameter '%s' in the request payload is not a valid parameter for the operation '%s'.", name, action)
		}
	}
	for _, name := range names {
		if _, ok := params[name]; !ok {
			return nil, odataBadRequest("The parameter '%s' of the operation '%s' is missing from the request payload.", name, action)
		}
	}
	return params, nil
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

// actionArrays decodes the body of an action whose parameters are all
// collections: exactly the parameters names, each a JSON array, returned in
// the order of names.
func actionArrays(body []byte, action string, names ...string) ([][]json.RawMessage, *graphError) {
	params, e := actionParameters(body, action, names...)
	if e != nil {
		return nil, e
	}
	arrays := make([][]json.RawMessage, 0, len(names))
	for _, name := range names {
		raw := params[name]
		var items []json.RawMessage
		if !bytes.HasPrefix(raw, []byte("[")) || json.Unmarshal(raw, &items) != nil {
			return nil, odataBadRequest("The parameter '%s' of the operation '%s' must be a JSON array; got %s.", name, action, raw)
		}
		arrays = append(arrays, items)
	}
	return arrays, nil
}

// entityShape is what an array item of an action must be: an instance of
// one entity type, with only its properties.
type entityShape struct {
	odataType string
	// typeOptional: @odata.type may be left out, and matches in any case.
	// OData reads an untyped item as the parameter's declared type, and
	// compares type names without regard to case. The configuration's
	// assign is stricter than that (exact and required), as the emulator may be.
	typeOptional bool
	properties   []string // besides @odata.type and id
}

// body decodes a request body of the shape.
func (shape entityShape) body(body []byte) (map[string]json.RawMessage, *graphError) {
	return shape.entity(body, "The request body")
}

// entity decodes one item of the shape: an object of the type, with only
// its properties, and an id (which Intune replaces with its own) that is
// absent, null or a string.
func (shape entityShape) entity(raw json.RawMessage, where string) (map[string]json.RawMessage, *graphError) {
	props, err := decodeObject(raw)
	if err != nil {
		return nil, odataBadRequest("%s must be a JSON object: %v", where, err)
	}
	if _, typed := props[propODataType]; typed || !shape.typeOptional {
		odataType, e := requiredString(props, propODataType, where)
		if e != nil {
			return nil, e
		}
		if odataType != shape.odataType && !(shape.typeOptional && strings.EqualFold(odataType, shape.odataType)) {
			return nil, odataBadRequest("%s: the @odata.type '%s' is not valid here; expected '%s'.", where, odataType, shape.odataType)
		}
	}
	if e := onlyProperties(props, shape.odataType, append([]string{propODataType, "id"}, shape.properties...)...); e != nil {
		return nil, e
	}
	if e := optionalID(props, where); e != nil {
		return nil, e
	}
	return props, nil
}

var (
	groupAssignmentShape  = entityShape{odataType: groupAssignmentODataType, properties: []string{"targetGroupId"}}
	targetAssignmentShape = entityShape{odataType: assignmentODataType, properties: []string{"target"}}
)

// parseGroupAssignment returns the targetGroupId of a
// mobileAppProvisioningConfigGroupAssignment.
func parseGroupAssignment(raw json.RawMessage, where string) (string, *graphError) {
	props, e := groupAssignmentShape.entity(raw, where)
	if e != nil {
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
	props, e := targetAssignmentShape.entity(raw, where)
	if e != nil {
		return Target{}, e
	}
	return requiredTarget(props, where)
}

// requiredTarget is the target property of an assignment, which Intune
// requires (the metadata lets it be null).
func requiredTarget(props map[string]json.RawMessage, where string) (Target, *graphError) {
	rawTarget, ok := props["target"]
	if !ok || isNull(rawTarget) {
		return Target{}, odataBadRequest("%s: the property 'target' is required.", where)
	}
	return parseTarget(rawTarget, where+".target")
}

// parseTarget reads a target as OData does (a known derived type, only its
// properties, each a string), then checks it as Intune does (checkTarget).
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
	strs := map[string]*string{propGroupID: &target.GroupID, propCollection: &target.CollectionID, propFilterType: &target.FilterType}
	if idProperty != "" {
		if *strs[idProperty], e = requiredString(props, idProperty, where); e != nil {
			return Target{}, e
		}
	}
	if raw, ok := props[propFilterID]; ok && !isNull(raw) {
		if target.FilterID, e = requiredString(props, propFilterID, where); e != nil {
			return Target{}, e
		}
	}
	if _, ok := props[propFilterType]; ok {
		if target.FilterType, e = requiredString(props, propFilterType, where); e != nil {
			return Target{}, e
		}
	}
	return target, checkTarget(target, where)
}

// checkTarget checks the values of a target of a known type: its GUIDs,
// its collection id, and that a filter id and a filter type go together.
func checkTarget(target Target, where string) *graphError {
	switch targetIDProperty[target.ODataType] {
	case propGroupID:
		if !IsGUID(target.GroupID) {
			return intuneBadRequest("%s.groupId: '%s' is not a valid GUID.", where, target.GroupID)
		}
	case propCollection:
		if strings.TrimSpace(target.CollectionID) == "" {
			return intuneBadRequest("%s.collectionId must not be empty.", where)
		}
	}
	if target.FilterID != "" && !IsGUID(target.FilterID) {
		return intuneBadRequest("%s.%s: '%s' is not a valid GUID.", where, propFilterID, target.FilterID)
	}
	if !slices.Contains(filterTypes, target.FilterType) {
		return odataBadRequest("%s: cannot convert the literal '%s' to the expected type 'microsoft.graph.deviceAndAppManagementAssignmentFilterType'.", where, target.FilterType)
	}
	switch {
	case target.FilterID != "" && target.FilterType == "none":
		return intuneBadRequest("%s: an assignment filter id requires a filter type of include or exclude.", where)
	case target.FilterID == "" && target.FilterType != "none":
		return intuneBadRequest("%s: filter type '%s' requires an assignment filter id.", where, target.FilterType)
	}
	return nil
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
