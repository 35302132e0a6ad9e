// Package csdl checks JSON bodies against Microsoft's published Graph beta
// metadata (CSDL): that every property a body carries is declared on its
// type, with the declared type and nullability, that @odata.type names a
// declared type derived from the expected one, and that enum values are
// declared members. It reads only what this provider touches (entity and
// complex types, enums, bound actions) with encoding/xml.
//
// testdata/beta-metadata-excerpt.xml (the provisioning configurations) and
// testdata/beta-metadata-apps-excerpt.xml (the in-house app, its content
// upload and its assignments) are Microsoft's CSDL, copied verbatim element
// by element (each header names the source commit). The tests of
// internal/graph check every body the client sends against it, and those of
// internal/graphfake every answer the emulator gives, so that neither can
// drift from what Graph declares. It is test support: no production code
// imports it.
package csdl

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

//go:embed testdata/beta-metadata-excerpt.xml
var betaExcerpt []byte

//go:embed testdata/beta-metadata-apps-excerpt.xml
var betaAppsExcerpt []byte

// Namespace is the schema namespace of every type here; "graph" is its alias.
const Namespace = "microsoft.graph"

// Model is the part of the metadata this provider touches.
type Model struct {
	types   map[string]*structuredType // by unqualified name
	enums   map[string][]string        // members by unqualified enum name
	actions map[string]*action         // by "binding type/name"
}

type structuredType struct {
	name       string
	base       string // unqualified, "" for none
	abstract   bool
	properties map[string]property
	navigation map[string]property // navigation properties, Type is the target
}

type property struct {
	name     string
	typ      string // qualified, "Collection(...)" kept
	nullable bool
}

type action struct {
	name       string
	parameters map[string]property // without the binding parameter
}

// Beta is the model of both excerpts in testdata: one schema, as in
// Microsoft's document they were copied from.
func Beta() (*Model, error) { return Parse(betaExcerpt, betaAppsExcerpt) }

// Parse reads CSDL documents into one model.
func Parse(docs ...[]byte) (*Model, error) {
	m := &Model{types: map[string]*structuredType{}, enums: map[string][]string{}, actions: map[string]*action{}}
	for _, doc := range docs {
		if err := m.read(doc); err != nil {
			return nil, err
		}
	}
	if len(m.types) == 0 {
		return nil, fmt.Errorf("csdl: no types of namespace %s", Namespace)
	}
	return m, nil
}

func (m *Model) read(doc []byte) error {
	var edmx struct {
		Schemas []struct {
			Namespace    string      `xml:"Namespace,attr"`
			Alias        string      `xml:"Alias,attr"`
			EntityTypes  []xmlType   `xml:"EntityType"`
			ComplexTypes []xmlType   `xml:"ComplexType"`
			EnumTypes    []xmlEnum   `xml:"EnumType"`
			Actions      []xmlAction `xml:"Action"`
		} `xml:"DataServices>Schema"`
	}
	if err := xml.Unmarshal(doc, &edmx); err != nil {
		return fmt.Errorf("csdl: %w", err)
	}
	for _, s := range edmx.Schemas {
		if s.Namespace != Namespace {
			continue
		}
		unq := func(qualified string) string { return unqualify(qualified, s.Alias) }
		for _, x := range append(slices.Clone(s.EntityTypes), s.ComplexTypes...) {
			t := &structuredType{name: x.Name, base: unq(x.BaseType), abstract: x.Abstract == "true",
				properties: map[string]property{}, navigation: map[string]property{}}
			for _, p := range x.Properties {
				t.properties[p.Name] = property{name: p.Name, typ: qualify(p.Type, s.Alias), nullable: p.Nullable != "false"}
			}
			for _, p := range x.Navigation {
				t.navigation[p.Name] = property{name: p.Name, typ: qualify(p.Type, s.Alias), nullable: p.Nullable != "false"}
			}
			m.types[x.Name] = t
		}
		for _, e := range s.EnumTypes {
			for _, mem := range e.Members {
				m.enums[e.Name] = append(m.enums[e.Name], mem.Name)
			}
		}
		for _, a := range s.Actions {
			if a.IsBound != "true" || len(a.Parameters) == 0 {
				continue
			}
			act := &action{name: a.Name, parameters: map[string]property{}}
			for _, p := range a.Parameters[1:] {
				act.parameters[p.Name] = property{name: p.Name, typ: qualify(p.Type, s.Alias), nullable: p.Nullable != "false"}
			}
			m.actions[qualify(a.Parameters[0].Type, s.Alias)+"/"+a.Name] = act
		}
	}
	return nil
}

type xmlType struct {
	Name       string `xml:"Name,attr"`
	BaseType   string `xml:"BaseType,attr"`
	Abstract   string `xml:"Abstract,attr"`
	Properties []struct {
		Name     string `xml:"Name,attr"`
		Type     string `xml:"Type,attr"`
		Nullable string `xml:"Nullable,attr"`
	} `xml:"Property"`
	Navigation []struct {
		Name     string `xml:"Name,attr"`
		Type     string `xml:"Type,attr"`
		Nullable string `xml:"Nullable,attr"`
	} `xml:"NavigationProperty"`
}

type xmlEnum struct {
	Name    string `xml:"Name,attr"`
	Members []struct {
		Name string `xml:"Name,attr"`
	} `xml:"Member"`
}

type xmlAction struct {
	Name       string `xml:"Name,attr"`
	IsBound    string `xml:"IsBound,attr"`
	Parameters []struct {
		Name     string `xml:"Name,attr"`
		Type     string `xml:"Type,attr"`
		Nullable string `xml:"Nullable,attr"`
	} `xml:"Parameter"`
}

// qualify writes alias-qualified names ("graph.x") with the namespace.
func qualify(t, alias string) string {
	if inner, ok := collectionOf(t); ok {
		return "Collection(" + qualify(inner, alias) + ")"
	}
	if alias != "" && strings.HasPrefix(t, alias+".") {
		return Namespace + "." + strings.TrimPrefix(t, alias+".")
	}
	return t
}

func unqualify(t, alias string) string {
	return strings.TrimPrefix(qualify(t, alias), Namespace+".")
}

func collectionOf(t string) (string, bool) {
	if strings.HasPrefix(t, "Collection(") && strings.HasSuffix(t, ")") {
		return t[len("Collection(") : len(t)-1], true
	}
	return "", false
}

// HasType reports whether the model declares an entity or complex type.
func (m *Model) HasType(name string) bool { _, ok := m.types[name]; return ok }

// Problems lists what does not conform, each naming the JSON path.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// Entity checks one JSON object as an instance of the named entity or
// complex type (unqualified, e.g. "iosLobAppProvisioningConfiguration"). The
// object may carry OData control information (@odata.context, .type, .etag,
// .id) and, for each navigation property, the property itself (expanded)
// with its NAME@odata.context, NAME@odata.nextLink and NAME@odata.count.
// Properties a body leaves out are not problems: $select and PATCH leave
// properties out.
func (m *Model) Entity(typeName string, body []byte) Problems {
	v, err := decode(body)
	if err != nil {
		return Problems{err.Error()}
	}
	var p Problems
	m.checkValue(&p, "$", Namespace+"."+typeName, v, false)
	return p
}

// Collection checks a collection answer, {"value":[...]} with its
// @odata.context and @odata.nextLink, whose items are of the named type.
func (m *Model) Collection(typeName string, body []byte) Problems {
	obj, problems := decodeObject(body, "a collection answer")
	if problems != nil {
		return problems
	}
	var p Problems
	items, ok := obj["value"]
	if !ok {
		p = append(p, "$: no value")
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "value", "@odata.context", "@odata.nextLink", "@odata.count", "@odata.deltaLink":
		default:
			p = append(p, fmt.Sprintf("$.%s: not part of a collection answer", k))
		}
	}
	if ok {
		m.checkValue(&p, "$.value", "Collection("+Namespace+"."+typeName+")", items, false)
	}
	return p
}

// ActionBody checks the body of a bound action's POST: every parameter but
// the binding one, by name, with its declared type. bindingType is the
// unqualified type the action is bound to.
func (m *Model) ActionBody(bindingType, actionName string, body []byte) Problems {
	a, ok := m.actions[Namespace+"."+bindingType+"/"+actionName]
	if !ok {
		return Problems{fmt.Sprintf("no action %s bound to %s in the metadata", actionName, bindingType)}
	}
	obj, problems := decodeObject(body, "an action body")
	if problems != nil {
		return problems
	}
	var p Problems
	for _, k := range sortedKeys(obj) {
		param, ok := a.parameters[k]
		if !ok {
			p = append(p, fmt.Sprintf("$.%s: not a parameter of %s (it has %s)", k, actionName, strings.Join(sortedKeys(a.parameters), ", ")))
			continue
		}
		m.checkValue(&p, "$."+k, param.typ, obj[k], param.nullable)
	}
	return p
}

func decode(body []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if d.More() {
		return nil, fmt.Errorf("not one JSON value")
	}
	return v, nil
}

// decodeObject decodes body, which must be one JSON object; what names the
// body in the problem if it is not.
func decodeObject(body []byte, what string) (map[string]any, Problems) {
	v, err := decode(body)
	if err != nil {
		return nil, Problems{err.Error()}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Problems{"$: " + what + " must be a JSON object"}
	}
	return obj, nil
}

// checkValue checks v as a value of typ (qualified, or Collection(...)).
func (m *Model) checkValue(p *Problems, at, typ string, v any, nullable bool) {
	if v == nil {
		if !nullable {
			*p = append(*p, fmt.Sprintf("%s: null, but %s is not nullable", at, typ))
		}
		return
	}
	if inner, ok := collectionOf(typ); ok {
		items, ok := v.([]any)
		if !ok {
			*p = append(*p, fmt.Sprintf("%s: want a JSON array for %s, got %s", at, typ, kind(v)))
			return
		}
		for i, item := range items {
			// Items of a collection of structured values may not be null.
			m.checkValue(p, fmt.Sprintf("%s[%d]", at, i), inner, item, false)
		}
		return
	}
	name := strings.TrimPrefix(typ, Namespace+".")
	if _, ok := m.types[name]; ok {
		m.checkStructured(p, at, name, v)
		return
	}
	if members, ok := m.enums[name]; ok {
		s, isString := v.(string)
		if !isString || !slices.Contains(members, s) {
			*p = append(*p, fmt.Sprintf("%s: %s is not a member of %s (%s)", at, show(v), name, strings.Join(members, ", ")))
		}
		return
	}
	if problem := checkPrimitive(typ, v); problem != "" {
		*p = append(*p, fmt.Sprintf("%s: %s", at, problem))
	}
}

func (m *Model) checkStructured(p *Problems, at, declared string, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		*p = append(*p, fmt.Sprintf("%s: want a JSON object for %s, got %s", at, declared, kind(v)))
		return
	}
	actual := declared
	if raw, ok := obj["@odata.type"]; ok {
		s, _ := raw.(string)
		name, qualified := strings.CutPrefix(s, "#"+Namespace+".")
		switch {
		case !qualified:
			*p = append(*p, fmt.Sprintf("%s.@odata.type: %s is not #%s.<type>", at, show(raw), Namespace))
			return
		case !m.HasType(name):
			*p = append(*p, fmt.Sprintf("%s.@odata.type: %s is not declared in the metadata", at, s))
			return
		case !m.derivesFrom(name, declared):
			*p = append(*p, fmt.Sprintf("%s.@odata.type: %s does not derive from %s", at, name, declared))
			return
		}
		actual = name
	}
	if m.types[actual].abstract {
		*p = append(*p, fmt.Sprintf("%s: %s is abstract: an instance must say its @odata.type", at, actual))
		return
	}
	props, nav := m.members(actual)
	for _, k := range sortedKeys(obj) {
		if k == "@odata.type" {
			continue
		}
		if prefix, annotation, ok := strings.Cut(k, "@"); ok {
			switch {
			case prefix == "" && slices.Contains([]string{"odata.context", "odata.etag", "odata.id", "odata.editLink"}, annotation):
			case prefix != "" && nav[prefix].name != "" && slices.Contains([]string{"odata.context", "odata.nextLink", "odata.count"}, annotation):
			default:
				*p = append(*p, fmt.Sprintf("%s.%s: not an annotation %s may carry", at, k, actual))
			}
			continue
		}
		if prop, ok := props[k]; ok {
			m.checkValue(p, at+"."+k, prop.typ, obj[k], prop.nullable)
			continue
		}
		if prop, ok := nav[k]; ok {
			m.checkValue(p, at+"."+k, prop.typ, obj[k], prop.nullable)
			continue
		}
		*p = append(*p, fmt.Sprintf("%s.%s: %s has no property %q (it has %s)", at, k, actual, k, strings.Join(sortedKeys(props), ", ")))
	}
}

// members are the structural and navigation properties of t and its bases.
func (m *Model) members(name string) (props, nav map[string]property) {
	props, nav = map[string]property{}, map[string]property{}
	for t := m.types[name]; t != nil; t = m.types[t.base] {
		for k, v := range t.properties {
			props[k] = v
		}
		for k, v := range t.navigation {
			nav[k] = v
		}
	}
	return props, nav
}

func (m *Model) derivesFrom(name, base string) bool {
	for t := m.types[name]; t != nil; t = m.types[t.base] {
		if t.name == base {
			return true
		}
	}
	return false
}

func checkPrimitive(typ string, v any) string {
	s, isString := v.(string)
	switch typ {
	case "Edm.String":
		if !isString {
			return "want a string, got " + kind(v)
		}
	case "Edm.Binary":
		if !isString {
			return "want base64 (Edm.Binary), got " + kind(v)
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			if _, err := base64.RawURLEncoding.DecodeString(s); err != nil {
				return fmt.Sprintf("%s is not base64 (Edm.Binary)", show(v))
			}
		}
	case "Edm.DateTimeOffset":
		if _, err := time.Parse(time.RFC3339Nano, s); !isString || err != nil {
			return fmt.Sprintf("%s is not an Edm.DateTimeOffset (RFC 3339)", show(v))
		}
	case "Edm.Guid":
		if !isString || len(s) != 36 || strings.Count(s, "-") != 4 {
			return fmt.Sprintf("%s is not an Edm.Guid", show(v))
		}
	case "Edm.Boolean":
		if _, ok := v.(bool); !ok {
			return "want true or false, got " + kind(v)
		}
	case "Edm.Int32", "Edm.Int64", "Edm.Int16":
		n, ok := v.(json.Number)
		i, err := n.Int64()
		bits := map[string]int{"Edm.Int16": 16, "Edm.Int32": 32, "Edm.Int64": 64}[typ]
		if !ok || err != nil || bits < 64 && (i < -(1<<(bits-1)) || i > 1<<(bits-1)-1) {
			return fmt.Sprintf("%s is not an %s", show(v), typ)
		}
	case "Edm.Double", "Edm.Single", "Edm.Decimal":
		n, ok := v.(json.Number)
		if f, err := n.Float64(); !ok || err != nil || math.IsInf(f, 0) {
			return fmt.Sprintf("%s is not an %s", show(v), typ)
		}
	default:
		return fmt.Sprintf("type %s is not declared in the metadata", typ)
	}
	return ""
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		return string(b[:60]) + "…"
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
