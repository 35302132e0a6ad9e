package graphfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// Request bodies read as OData reads them: one JSON object, without
// duplicate names; only the properties a type declares, each with its
// declared type and nullability; the parameters of an action; and the
// errors OData answers when they are not so.

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

// objectShape is what a body, or an object inside one, must be: an
// instance of one entity or complex type, with only its properties.
type objectShape struct {
	odataType string
	// typeOptional: @odata.type may be left out, and matches in any case.
	// OData reads an untyped item as the parameter's declared type, and
	// compares type names without regard to case. The configuration's
	// assign is stricter than that (exact and required), as the emulator may be.
	typeOptional bool
	// properties are the type's, besides @odata.type. An entity's id, when
	// listed, may be absent, null or a string: Intune makes its own.
	properties []string
}

// body decodes a request body of the shape.
func (shape objectShape) body(body []byte) (map[string]json.RawMessage, *graphError) {
	return shape.entity(body, "The request body")
}

// entity decodes one object of the shape.
func (shape objectShape) entity(raw json.RawMessage, where string) (map[string]json.RawMessage, *graphError) {
	props, err := decodeObject(raw)
	if err != nil {
		return nil, odataBadRequest("%s must be a JSON object: %v", where, err)
	}
	if _, typed := props[propODataType]; typed || !shape.typeOptional {
		odataType, e := requiredString(props, propODataType, where)
		if e != nil {
			return nil, e
		}
		if odataType != shape.odataType && (!shape.typeOptional || !strings.EqualFold(odataType, shape.odataType)) {
			return nil, odataBadRequest("%s: the @odata.type '%s' is not valid here; expected '%s'.", where, odataType, shape.odataType)
		}
	}
	if e := onlyProperties(props, shape.odataType, append([]string{propODataType}, shape.properties...)...); e != nil {
		return nil, e
	}
	if slices.Contains(shape.properties, "id") {
		if e := optionalID(props, where); e != nil {
			return nil, e
		}
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

// optionalString reads a string property that may be absent; null is
// allowed only where the property is nullable, and reads as "".
func optionalString(props map[string]json.RawMessage, name string, nullable bool) (*string, *graphError) {
	raw, ok := props[name]
	if !ok {
		return nil, nil
	}
	if isNull(raw) {
		if !nullable {
			return nil, odataBadRequest("A null value was found for the property named '%s', which has the expected type 'Edm.String[Nullable=False]'. The expected type 'Edm.String[Nullable=False]' does not allow null values.", name)
		}
		empty := ""
		return &empty, nil
	}
	var s string
	if !bytes.HasPrefix(raw, []byte(`"`)) || json.Unmarshal(raw, &s) != nil {
		return nil, odataBadRequest("The property '%s' must be a string; got %s.", name, text.Truncate(string(raw), 40))
	}
	return &s, nil
}

// requireConcreteType requires @odata.type to name want (any case): absent
// or abstract types fail as Graph fails them (ModelValidationFailure),
// other types as types this route does not take.
func requireConcreteType(props map[string]json.RawMessage, want string, abstract []string) *graphError {
	raw, ok := props[propODataType]
	var t string
	if ok && (isNull(raw) || json.Unmarshal(raw, &t) != nil) {
		return odataBadRequest("The @odata.type %s must be a string.", text.Truncate(string(raw), 40))
	}
	switch {
	case !ok || slices.ContainsFunc(abstract, func(a string) bool { return strings.EqualFold(a, t) }):
		return &graphError{status: http.StatusBadRequest, code: "ModelValidationFailure", message: "Cannot create an abstract class."}
	case !strings.EqualFold(t, want):
		return odataBadRequest("The @odata.type '%s' is not valid here; graphfake serves '%s'.", t, want)
	}
	return nil
}

func decodeBool(raw json.RawMessage, name string, into *bool) *graphError {
	if isNull(raw) {
		return odataBadRequest("A null value was found for the property named '%s', which has the expected type 'Edm.Boolean[Nullable=False]'. The expected type 'Edm.Boolean[Nullable=False]' does not allow null values.", name)
	}
	if json.Unmarshal(raw, into) != nil {
		return odataBadRequest("Cannot convert the literal %s to the expected type 'Edm.Boolean' (property '%s').", text.Truncate(string(raw), 40), name)
	}
	return nil
}

func decodeDateTime(raw json.RawMessage) (time.Time, *graphError) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}, odataBadRequest("Cannot convert the literal %s to the expected type 'Edm.DateTimeOffset'.", text.Truncate(string(raw), 40))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, odataBadRequest("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", text.Truncate(s, 40))
	}
	return t.UTC(), nil
}

// complexBooleans reads a complex value whose properties are all
// non-nullable Edm.Boolean (iosDeviceType, iosMinimumOperatingSystem);
// properties left out are false, as OData's defaults for them.
func complexBooleans(raw json.RawMessage, name, odataType string, flags []string, nullable bool) (map[string]bool, *graphError) {
	if isNull(raw) {
		if nullable {
			return nil, nil
		}
		return nil, odataBadRequest("A null value was found for the property named '%s', which has the expected type '%s[Nullable=False]'.", name, strings.TrimPrefix(odataType, "#"))
	}
	props, err := decodeObject(raw)
	if err != nil {
		return nil, odataBadRequest("The property '%s' must be an object of type '%s': %v", name, strings.TrimPrefix(odataType, "#"), err)
	}
	out := map[string]bool{}
	for _, k := range sortedKeys(props) {
		if k == propODataType {
			var t string
			if json.Unmarshal(props[k], &t) != nil || !strings.EqualFold(strings.TrimPrefix(t, "#"), strings.TrimPrefix(odataType, "#")) {
				return nil, odataBadRequest("The @odata.type %s is not valid for the property '%s'.", text.Truncate(string(props[k]), 60), name)
			}
			continue
		}
		if !slices.Contains(flags, k) {
			return nil, odataBadRequest("The property '%s' does not exist on type '%s'.", k, strings.TrimPrefix(odataType, "#"))
		}
		var b bool
		if e := decodeBool(props[k], k, &b); e != nil {
			return nil, e
		}
		out[k] = b
	}
	return out, nil
}

// decodeBinary reads an Edm.Binary: base64, standard (as Graph writes it)
// or URL-safe (as OData's JSON format defines it).
func decodeBinary(raw json.RawMessage, name string) ([]byte, *graphError) {
	var s string
	if !bytes.HasPrefix(raw, []byte(`"`)) || json.Unmarshal(raw, &s) != nil {
		return nil, odataBadRequest("The property '%s' must be a base64 string (Edm.Binary); got %s.", name, text.Truncate(string(raw), 40))
	}
	b, err := decodeBase64Any(s)
	if err != nil {
		return nil, odataBadRequest("Cannot convert the literal '%s' to the expected type 'Edm.Binary'.", text.Truncate(s, 40))
	}
	return b, nil
}

// decodeScopeTags reads roleScopeTagIds, a nullable collection of
// non-empty strings; null (or none) is an empty list.
func decodeScopeTags(raw json.RawMessage) ([]string, *graphError) {
	tags := []string{}
	if !isNull(raw) && (!bytes.HasPrefix(raw, []byte("[")) || json.Unmarshal(raw, &tags) != nil || slices.Contains(tags, "")) {
		return nil, odataBadRequest("The property 'roleScopeTagIds' must be an array of strings; got %s.", text.Truncate(string(raw), 40))
	}
	return tags, nil
}

// enumValue requires raw to be a member of an enum type, spelt as the
// metadata spells it (OData's JSON format writes members as strings).
func enumValue(raw json.RawMessage, enum string, members []string, where string) *graphError {
	var v string
	if isNull(raw) {
		return odataBadRequest("%s: a null value was found, which the type 'microsoft.graph.%s[Nullable=False]' does not allow.", where, enum)
	}
	if json.Unmarshal(raw, &v) != nil || !slices.Contains(members, v) {
		return odataBadRequest("%s: cannot convert the literal %s to the expected type 'microsoft.graph.%s'.", where, raw, enum)
	}
	return nil
}

// nullableString reads a nullable Edm.String: nil when absent or null.
func nullableString(props map[string]json.RawMessage, name, where string) (*string, *graphError) {
	if raw, ok := props[name]; !ok || isNull(raw) {
		return nil, nil
	}
	v, e := requiredString(props, name, where)
	return &v, e
}
