package graphfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// The configuration collection: create, list, and read, update and delete
// by id, with the validation, paging and $select the provider relies on.

// maxConfigurationBody bounds a create or update body; a provisioning
// profile is tens of kilobytes, so this leaves room for large ones.
const maxConfigurationBody = 4 << 20

// configurationSeq orders configurations by creation, the order lists use.
var configurationSeq atomic.Int64

// configurationProperties are the structural properties of the entity, in
// their exact casing, as $select and request bodies name them. Bodies may
// carry the read-only ones (clients echo entities back); they are ignored,
// as Intune ignores them.
var configurationProperties = []string{
	"id", "displayName", "description", "payloadFileName", "payload", "expirationDateTime",
	"roleScopeTagIds", "createdDateTime", "lastModifiedDateTime", "version",
}

// ConfigurationState is a configuration as the emulator holds it, for tests
// to inspect and edit out of band.
type ConfigurationState struct {
	ID              string
	DisplayName     string
	Description     string
	PayloadFileName string
	Payload         []byte
	Expiration      time.Time // zero means not set
	RoleScopeTagIDs []string
	Created         time.Time
	LastModified    time.Time
	Version         int
}

// Configuration returns a copy of a configuration; ok is false if it does
// not exist.
func (s *Server) Configuration(id string) (ConfigurationState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.configs[strings.ToLower(id)]
	if !ok {
		return ConfigurationState{}, false
	}
	return cfg.state(), true
}

// Configurations returns copies of every configuration, in creation order.
func (s *Server) Configurations() []ConfigurationState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConfigurationState, 0, len(s.configs))
	for _, cfg := range s.sortedConfigurations() {
		out = append(out, cfg.state())
	}
	return out
}

// EditConfiguration changes a configuration out of band, as an admin in the
// portal would: edit gets a copy to change, and the emulator stores it with
// a new lastModifiedDateTime and version. The id cannot change.
func (s *Server) EditConfiguration(id string, edit func(*ConfigurationState)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.configs[strings.ToLower(id)]
	if !ok {
		return fmt.Errorf("graphfake: configuration %q does not exist", id)
	}
	st := cfg.state()
	edit(&st)
	cfg.displayName = st.DisplayName
	cfg.description = st.Description
	cfg.payloadFileName = st.PayloadFileName
	cfg.payload = slices.Clone(st.Payload)
	cfg.expiration = st.Expiration
	cfg.roleScopeTagIDs = slices.Clone(st.RoleScopeTagIDs)
	cfg.touch()
	return nil
}

func (c *configuration) state() ConfigurationState {
	return ConfigurationState{
		ID: c.id, DisplayName: c.displayName, Description: c.description, PayloadFileName: c.payloadFileName,
		Payload: slices.Clone(c.payload), Expiration: c.expiration, RoleScopeTagIDs: slices.Clone(c.roleScopeTagIDs),
		Created: c.created, LastModified: c.lastModified, Version: c.version,
	}
}

// touch records a change the way Intune does: a new lastModifiedDateTime
// and the next version.
func (c *configuration) touch() {
	now := time.Now().UTC()
	if !now.After(c.lastModified) { // a coarse clock must not make a change look older
		now = c.lastModified.Add(time.Microsecond)
	}
	c.lastModified = now
	c.version++
}

// sortedConfigurations is every configuration in creation order; s.mu must be held.
func (s *Server) sortedConfigurations() []*configuration {
	all := make([]*configuration, 0, len(s.configs))
	for _, cfg := range s.configs {
		all = append(all, cfg)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	return all
}

// serveConfigurations handles the collection: list and create.
func (s *Server) serveConfigurations(w http.ResponseWriter, r *http.Request) {
	if !s.allowMethod(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	if r.Method == http.MethodPost {
		s.createConfiguration(w, r)
		return
	}
	s.listConfigurations(w, r)
}

// serveConfiguration handles one entity: read, update and delete.
func (s *Server) serveConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	if !s.allowMethod(w, r, http.MethodGet, http.MethodPatch, http.MethodDelete) {
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.getConfiguration(w, r, id)
	case http.MethodPatch:
		s.updateConfiguration(w, r, id)
	default:
		s.deleteConfiguration(w, r, id)
	}
}

// getConfiguration answers the entity, with its $select-ed properties and
// any $expand-ed collections inline, as the server's ReadBehaviour says: by
// default an expanded collection pages like the collection itself, the first
// page inline, then "{name}@odata.nextLink" to the collection's next page, as
// OData's JSON format does for expanded navigation properties. Reads that lag
// behind an assign lag here too.
func (s *Server) getConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	selected, expand, e := s.parseReadOptions(r.URL.Query(), false)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	s.mu.Lock()
	cfg, ok := s.configs[id]
	var whole configurationJSON
	var entity map[string]any
	switch {
	case ok && len(selected) == 0 && len(expand) == 0:
		whole = cfg.entityJSON() // written as is: a profile can be megabytes
	case ok:
		entity = s.entityWithExpansions(cfg, selected, expand)
	}
	s.mu.Unlock()

	if !ok {
		s.writeNotFound(w, r)
		return
	}
	if entity == nil {
		whole.Context = s.url + "/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations/$entity"
		writeGraphJSON(w, http.StatusOK, whole)
		return
	}
	entity["@odata.context"] = s.url + "/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations" + selectContext(selected) + "/$entity"
	writeGraphJSON(w, http.StatusOK, entity)
}

// parseReadOptions reads $select and $expand, refusing $expand when the read
// behaviour says so.
func (s *Server) parseReadOptions(query url.Values, list bool) (selected, expand []string, e *graphError) {
	if selected, e = parseQueryOptions(query, list); e != nil {
		return nil, nil, e
	}
	if expand, e = parseExpand(query.Get("$expand")); e != nil {
		return nil, nil, e
	}
	if len(expand) > 0 && s.ReadBehaviour() == ReadsRefuseExpand {
		return nil, nil, expandRefused()
	}
	return selected, expand, nil
}

// entityWithExpansions renders cfg with its selected properties and its
// expanded collections, under the server's read behaviour; s.mu must be held.
func (s *Server) entityWithExpansions(cfg *configuration, selected, expand []string) map[string]any {
	entity := selectProperties(cfg.entityJSON(), selected)
	visible := cfg.visible(time.Now())
	for _, lower := range expand {
		x := expandable[lower]
		context := fmt.Sprintf("%s/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations('%s')/%s", s.url, cfg.id, x.name)
		base := fmt.Sprintf("%s%s/%s/%s", s.url, configurationsPath, cfg.id, x.name)
		expandedCollection(entity, s.reads, x.name, context, base, x.items(visible), s.pageSize)
	}
	return entity
}

// expandable are the navigation properties $expand accepts on a
// configuration, by lower-case name.
var expandable = map[string]struct {
	name  string
	items func(*assignmentSet) []any
}{
	"assignments":      {"assignments", (*assignmentSet).assignmentsJSON},
	"groupassignments": {"groupAssignments", (*assignmentSet).groupAssignmentsJSON},
}

// parseExpand reads $expand: a comma-separated list of navigation
// properties. Nested options (assignments($select=id)) are a client feature
// the provider does not use, so they are refused rather than ignored.
func parseExpand(value string) ([]string, *graphError) {
	if value == "" {
		return nil, nil
	}
	var names []string
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if strings.ContainsAny(item, "()") {
			return nil, odataBadRequest("Query option '$expand' with nested query options ('%s') is not supported by graphfake.", item)
		}
		if _, ok := expandable[strings.ToLower(item)]; !ok {
			return nil, odataBadRequest("Could not find a property named '%s' on type '%s'.", item, strings.TrimPrefix(configurationODataType, "#"))
		}
		names = append(names, strings.ToLower(item))
	}
	return names, nil
}

// listConfigurations serves one page of the collection, in creation order,
// each item with its $expand-ed collections. nextLink keeps the request's
// $select and $expand, as Graph's does. Under ReadsListNeedsExpand a list
// that does not ask $expand=assignments answers no items at all.
func (s *Server) listConfigurations(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	selected, expand, e := s.parseReadOptions(query, true)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	offset, err := decodeSkipToken(query.Get("$skiptoken"))
	if err != nil {
		s.writeGraphError(w, r, &graphError{status: http.StatusBadRequest, code: "BadRequest", message: "The $skiptoken value is invalid."})
		return
	}

	s.mu.Lock()
	all := s.sortedConfigurations()
	if s.reads == ReadsListNeedsExpand && !slices.Contains(expand, segmentAssignments) {
		all = nil
	}
	offset = min(offset, len(all))
	end := min(offset+s.pageSize, len(all))
	page := collectionPage{
		Context: s.url + "/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations" + selectContext(selected),
		Value:   []any{},
	}
	for _, cfg := range all[offset:end] {
		page.Value = append(page.Value, s.entityWithExpansions(cfg, selected, expand))
	}
	s.mu.Unlock()

	if end < len(all) {
		next := url.Values{}
		if len(selected) > 0 {
			next.Set("$select", strings.Join(selected, ","))
		}
		if raw := query.Get("$expand"); raw != "" {
			next.Set("$expand", raw)
		}
		next.Set("$skiptoken", encodeSkipToken(end))
		page.NextLink = s.url + configurationsPath + "?" + next.Encode()
	}
	writeGraphJSON(w, http.StatusOK, page)
}

func (s *Server) createConfiguration(w http.ResponseWriter, r *http.Request) {
	body, e := readJSONBody(w, r)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	in, e := parseConfigurationBody(body, true)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	now := time.Now().UTC()
	cfg := &configuration{
		id:              newGUID(),
		seq:             configurationSeq.Add(1),
		roleScopeTagIDs: []string{"0"}, // Intune's Default scope tag
		created:         now,
		lastModified:    now,
		version:         1,
	}
	in.apply(cfg)

	s.mu.Lock()
	s.configs[cfg.id] = cfg
	entity := cfg.entityJSON()
	s.mu.Unlock()

	entity.Context = s.url + "/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations/$entity"
	w.Header().Set("Location", fmt.Sprintf("%s%s('%s')", s.url, configurationsPath, cfg.id))
	writeGraphJSON(w, http.StatusCreated, entity)
}

func (s *Server) updateConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	body, e := readJSONBody(w, r)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}
	in, parseErr := parseConfigurationBody(body, false)

	s.mu.Lock()
	cfg, exists := s.configs[id]
	var entity configurationJSON
	if exists && parseErr == nil {
		in.apply(cfg)
		cfg.touch()
		entity = cfg.entityJSON()
	}
	s.mu.Unlock()

	s.answerWrite(w, r, exists, parseErr, func() {
		// The beta update page answers 200 OK with the updated entity.
		entity.Context = s.url + "/beta/$metadata#deviceAppManagement/iosLobAppProvisioningConfigurations/$entity"
		writeGraphJSON(w, http.StatusOK, entity)
	})
}

func (s *Server) deleteConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	_, exists := s.configs[id]
	delete(s.configs, id)
	s.mu.Unlock()
	if !exists {
		s.writeNotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// readJSONBody reads an application/json body of bounded size.
func readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, *graphError) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return nil, &graphError{status: http.StatusUnsupportedMediaType, code: "UnsupportedMediaType",
			message: "The request body must be application/json."}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConfigurationBody))
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		return nil, &graphError{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
			message: fmt.Sprintf("The request body is larger than %d MiB.", maxConfigurationBody>>20)}
	} else if err != nil {
		return nil, odataBadRequest("The request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, odataBadRequest("Empty Payload. JSON content expected.")
	}
	return body, nil
}

// configurationInput is a validated create or update body; a nil field was
// absent and leaves the stored value alone.
type configurationInput struct {
	displayName, description, payloadFileName *string
	payload                                   []byte
	expiration                                *time.Time // zero time clears it
	roleScopeTagIDs                           []string   // nil: absent
}

func (in configurationInput) apply(c *configuration) {
	if in.displayName != nil {
		c.displayName = *in.displayName
	}
	if in.description != nil {
		c.description = *in.description
	}
	if in.payloadFileName != nil {
		c.payloadFileName = *in.payloadFileName
	}
	if in.payload != nil {
		c.payload = in.payload
	}
	if in.expiration != nil {
		c.expiration = *in.expiration
	}
	if in.roleScopeTagIDs != nil {
		c.roleScopeTagIDs = in.roleScopeTagIDs
		if len(c.roleScopeTagIDs) == 0 {
			c.roleScopeTagIDs = []string{"0"} // Intune keeps the Default tag
		}
	}
}

// parseConfigurationBody validates a body as OData (shape, names, types)
// and Intune (required properties on create, the file name) would.
func parseConfigurationBody(body []byte, create bool) (configurationInput, *graphError) {
	var in configurationInput
	props, err := decodeObject(body)
	if err != nil {
		return in, odataBadRequest("Invalid JSON in the request payload: %v", err)
	}
	if raw, ok := props[propODataType]; ok {
		var t string
		if json.Unmarshal(raw, &t) != nil || t != configurationODataType {
			return in, odataBadRequest("The @odata.type %s is not valid here; expected '%s'.", raw, configurationODataType)
		}
	}
	if e := onlyProperties(props, configurationODataType, append([]string{propODataType}, configurationProperties...)...); e != nil {
		return in, e
	}

	var e *graphError
	if in.displayName, e = optionalString(props, "displayName", false); e != nil {
		return in, e
	}
	if in.description, e = optionalString(props, "description", true); e != nil {
		return in, e
	}
	if in.payloadFileName, e = optionalString(props, "payloadFileName", false); e != nil {
		return in, e
	}
	if raw, ok := props["payload"]; ok {
		var s string
		if !bytes.HasPrefix(raw, []byte(`"`)) || json.Unmarshal(raw, &s) != nil {
			return in, odataBadRequest("The property 'payload' must be a base64 string (Edm.Binary); got %s.", text.Truncate(string(raw), 40))
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return in, odataBadRequest("Cannot convert the literal '%s' to the expected type 'Edm.Binary'.", text.Truncate(s, 40))
		}
		in.payload = b
	}
	if raw, ok := props["expirationDateTime"]; ok {
		zero := time.Time{}
		in.expiration = &zero
		if !isNull(raw) {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return in, odataBadRequest("Cannot convert the literal %s to the expected type 'Edm.DateTimeOffset'.", text.Truncate(string(raw), 40))
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return in, odataBadRequest("Cannot convert the literal '%s' to the expected type 'Edm.DateTimeOffset'.", text.Truncate(s, 40))
			}
			t = t.UTC()
			in.expiration = &t
		}
	}
	if raw, ok := props["roleScopeTagIds"]; ok {
		in.roleScopeTagIDs = []string{}
		if !isNull(raw) {
			var tags []string
			if !bytes.HasPrefix(raw, []byte("[")) || json.Unmarshal(raw, &tags) != nil {
				return in, odataBadRequest("The property 'roleScopeTagIds' must be an array of strings; got %s.", text.Truncate(string(raw), 40))
			}
			in.roleScopeTagIDs = tags
		}
	}

	// What Intune itself requires.
	switch {
	case create && (in.displayName == nil || strings.TrimSpace(*in.displayName) == ""):
		return in, intuneBadRequest("displayName is required and must not be empty.")
	case !create && in.displayName != nil && strings.TrimSpace(*in.displayName) == "":
		return in, intuneBadRequest("displayName must not be empty.")
	case create && in.payloadFileName == nil:
		return in, intuneBadRequest("payloadFileName is required.")
	case create && len(in.payload) == 0, !create && in.payload != nil && len(in.payload) == 0:
		return in, intuneBadRequest("payload is required and must not be empty.")
	}
	if in.payloadFileName != nil {
		lower := strings.ToLower(*in.payloadFileName)
		if !strings.HasSuffix(lower, ".mobileprovision") && !strings.HasSuffix(lower, ".xml") {
			return in, intuneBadRequest("payloadFileName '%s' must end in .mobileprovision or .xml.", *in.payloadFileName)
		}
	}
	return in, nil
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

// parseQueryOptions accepts the query options graphfake implements: $select
// and $expand (see parseExpand) everywhere, $skiptoken on lists. Anything else starting with $ is refused
// rather than ignored, so a client that starts relying on, say, $filter
// fails here instead of passing against a server that silently did not filter.
func parseQueryOptions(query url.Values, list bool) ([]string, *graphError) {
	for name := range query {
		if !strings.HasPrefix(name, "$") {
			continue
		}
		switch strings.ToLower(name) {
		case "$select":
		case "$expand":
		case "$skiptoken":
			if list {
				continue
			}
			fallthrough
		default:
			return nil, odataBadRequest("The query option '%s' is not supported by graphfake on this path.", name)
		}
	}
	raw := query.Get("$select")
	if raw == "" {
		return nil, nil
	}
	var selected []string
	for _, name := range strings.Split(raw, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(configurationProperties, func(p string) bool { return strings.EqualFold(p, name) })
		if i < 0 {
			return nil, odataBadRequest("Could not find a property named '%s' on type 'microsoft.graph.iosLobAppProvisioningConfiguration'.", name)
		}
		if !slices.Contains(selected, configurationProperties[i]) {
			selected = append(selected, configurationProperties[i])
		}
	}
	return selected, nil
}

// selectContext is the part of @odata.context that names selected properties.
func selectContext(selected []string) string {
	if len(selected) == 0 {
		return ""
	}
	return "(" + strings.Join(selected, ",") + ")"
}

// selectProperties keeps only the selected properties (and the annotations)
// of an entity; with no $select it is the whole entity.
func selectProperties(e configurationJSON, selected []string) map[string]any {
	b, _ := json.Marshal(e) // plain fields always marshal
	var all map[string]any
	_ = json.Unmarshal(b, &all)
	if len(selected) == 0 {
		return all
	}
	out := map[string]any{}
	for k, v := range all {
		if strings.HasPrefix(k, "@odata.") || slices.Contains(selected, k) {
			out[k] = v
		}
	}
	return out
}
