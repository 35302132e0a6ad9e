package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The configuration collection: create, list, and read, update and delete
// by id, with the validation, paging and $select the provider relies on.

// maxEntityBody bounds a create or update body; a provisioning profile is
// tens of kilobytes, so this leaves room for large ones.
const maxEntityBody = 4 << 20

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
	return stateOf(s, s.configs, id)
}

// Configurations returns copies of every configuration, in creation order.
func (s *Server) Configurations() []ConfigurationState {
	return statesOf(s, s.configs)
}

// EditConfiguration changes a configuration out of band, as an admin in the
// portal would: edit gets a copy to change, and the emulator stores it with
// a new lastModifiedDateTime and version. The id cannot change.
func (s *Server) EditConfiguration(id string, edit func(*ConfigurationState)) error {
	return editState(s, s.configs, "configuration", id, edit, (*configuration).storeEdit)
}

// storeEdit stores an out-of-band edit (EditConfiguration).
func (cfg *configuration) storeEdit(_, st ConfigurationState) {
	cfg.displayName = st.DisplayName
	cfg.description = st.Description
	cfg.payloadFileName = st.PayloadFileName
	cfg.payload = slices.Clone(st.Payload)
	cfg.expiration = st.Expiration
	cfg.roleScopeTagIDs = slices.Clone(st.RoleScopeTagIDs)
	cfg.touch()
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
	c.entityBase.touch()
	c.version++
}

// sortedConfigurations is every configuration in creation order; s.mu must be held.
func (s *Server) sortedConfigurations() []*configuration {
	return inCreationOrder[ConfigurationState](s.configs)
}

// configurationRoutes are what the configurations serve: list, create,
// read, update, delete, their two collections and assign.
var configurationRoutes = entityRoutes{
	set: configurationSet, noun: "configuration",
	list: (*Server).listConfigurations, create: (*Server).createConfiguration,
	get: (*Server).getConfiguration, update: (*Server).updateConfiguration,
	remove: func(s *Server, w http.ResponseWriter, r *http.Request, id string) { deleteOne(s, w, r, s.configs, id) },
	below: map[string]route{
		segmentAssignments:      {http.MethodGet, configurationCollection("assignments")},
		segmentGroupAssignments: {http.MethodGet, configurationCollection("groupAssignments")},
		segmentAssign:           {http.MethodPost, (*Server).assign},
		segmentAssignQualified:  {http.MethodPost, (*Server).assign},
	},
}

// configurationCollection serves one page of the collection name of a
// configuration.
func configurationCollection(name string) func(*Server, http.ResponseWriter, *http.Request, string) {
	return func(s *Server, w http.ResponseWriter, r *http.Request, id string) {
		s.listCollection(w, r, configurationSet, id, name, func() ([]any, bool) {
			cfg, ok := s.configs[id]
			if !ok {
				return nil, false
			}
			return configurationCollections[name](cfg.visible(time.Now())), true
		})
	}
}

// configurationSet is the configurations as OData's query options see them.
var configurationSet = entitySet{
	path:       configurationsPath,
	context:    "deviceAppManagement/iosLobAppProvisioningConfigurations",
	typeName:   strings.TrimPrefix(configurationODataType, "#"),
	properties: configurationProperties,
	navigation: []string{"assignments", "groupAssignments"},
}

// getConfiguration answers the entity, with its $select-ed properties and
// any $expand-ed collections inline, as the server's ReadBehaviour says: by
// default an expanded collection pages like the collection itself, the first
// page inline, then "{name}@odata.nextLink" to the collection's next page, as
// OData's JSON format does for expanded navigation properties. Reads that lag
// behind an assign lag here too.
func (s *Server) getConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	s.readOne(w, r, configurationSet, func(selected, expand []string, context string) (any, bool) {
		cfg, ok := s.configs[id]
		switch {
		case !ok:
			return nil, false
		case len(selected) == 0 && len(expand) == 0:
			whole := cfg.entityJSON() // written as is: a profile can be megabytes
			whole.Context = context
			return whole, true
		}
		entity := s.entityWithExpansions(cfg, selected, expand)
		entity["@odata.context"] = context
		return entity, true
	})
}

// entityWithExpansions renders cfg with its selected properties and its
// expanded collections, under the server's read behaviour; s.mu must be held.
func (s *Server) entityWithExpansions(cfg *configuration, selected, expand []string) map[string]any {
	entity := selectProperties(cfg.entityJSON(), selected)
	visible := cfg.visible(time.Now())
	s.expand(entity, configurationSet, cfg.id, expand, func(name string) []any { return configurationCollections[name](visible) })
	return entity
}

// configurationCollections renders the collections of a configuration, by name.
var configurationCollections = map[string]func(*assignmentSet) []any{
	"assignments":      (*assignmentSet).assignmentsJSON,
	"groupAssignments": (*assignmentSet).groupAssignmentsJSON,
}

// listConfigurations serves one page of the collection, in creation order,
// each item with its $expand-ed collections. nextLink keeps the request's
// $select and $expand, as Graph's does. Under ReadsListNeedsExpand a list
// that does not ask $expand=assignments answers no items at all.
func (s *Server) listConfigurations(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	selected, expand, offset, e := s.parseListOptions(query, configurationSet)
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}

	s.mu.Lock()
	all := s.sortedConfigurations()
	if s.reads == ReadsListNeedsExpand && !slices.Contains(expand, segmentAssignments) {
		all = nil
	}
	page := pageOf(all, offset, s.pageSize, configurationSet.contextURL(s.url)+selectContext(selected),
		func(cfg *configuration) any { return s.entityWithExpansions(cfg, selected, expand) },
		nextWithQuery(s.url+configurationsPath, query, "$select", "$expand"))
	s.mu.Unlock()
	writeGraphJSON(w, http.StatusOK, page)
}

func (s *Server) createConfiguration(w http.ResponseWriter, r *http.Request) {
	in, ok := readBody(s, w, r, maxEntityBody, func(body []byte) (configurationInput, *graphError) { return parseConfigurationBody(body, true) })
	if !ok {
		return
	}
	now := time.Now().UTC()
	cfg := &configuration{entityBase: newEntityBase(newGUID(), now), version: 1}
	in.apply(cfg)

	s.mu.Lock()
	s.configs[cfg.id] = cfg
	entity := cfg.entityJSON()
	s.mu.Unlock()

	entity.Context = configurationSet.contextURL(s.url) + "/$entity"
	w.Header().Set("Location", fmt.Sprintf("%s%s('%s')", s.url, configurationsPath, cfg.id))
	writeGraphJSON(w, http.StatusCreated, entity)
}

func (s *Server) updateConfiguration(w http.ResponseWriter, r *http.Request, id string) {
	var entity configurationJSON
	writeOne(s, w, r, maxEntityBody, func(body []byte) (configurationInput, *graphError) { return parseConfigurationBody(body, false) },
		entry(s.configs, id), func(cfg *configuration, in configurationInput) *graphError {
			in.apply(cfg)
			cfg.touch()
			entity = cfg.entityJSON()
			return nil
		}, func() {
			// The beta update page answers 200 OK with the updated entity.
			entity.Context = configurationSet.contextURL(s.url) + "/$entity"
			writeGraphJSON(w, http.StatusOK, entity)
		})
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
	c.setScopeTags(in.roleScopeTagIDs)
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
		if in.payload, e = decodeBinary(raw, "payload"); e != nil {
			return in, e
		}
	}
	if raw, ok := props["expirationDateTime"]; ok {
		in.expiration = &time.Time{}
		if !isNull(raw) {
			t, e := decodeDateTime(raw)
			if e != nil {
				return in, e
			}
			in.expiration = &t
		}
	}
	if raw, ok := props["roleScopeTagIds"]; ok {
		if in.roleScopeTagIDs, e = decodeScopeTags(raw); e != nil {
			return in, e
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
