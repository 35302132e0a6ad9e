package graphfake

import (
	"encoding/json"
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

var (
	groupAssignmentShape  = objectShape{odataType: groupAssignmentODataType, properties: []string{"id", "targetGroupId"}}
	targetAssignmentShape = objectShape{odataType: assignmentODataType, properties: []string{"id", "target"}}
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
