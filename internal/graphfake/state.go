package graphfake

import (
	"cmp"
	"crypto/rand"
	"encoding/xml"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Target is one entry of a configuration's target assignments.
type Target struct {
	ODataType    string // full type, e.g. "#microsoft.graph.groupAssignmentTarget"
	GroupID      string
	CollectionID string
	FilterID     string // "" means null
	FilterType   string // "none" | "include" | "exclude"
}

// configuration is one iosLobAppProvisioningConfiguration and its two
// assignment collections.
type configuration struct {
	entityBase
	displayName     string
	description     string // "" is reported as null
	payloadFileName string
	payload         []byte
	expiration      time.Time // zero is reported as null, as for a configuration made in the portal without one
	version         int
	assignmentSet
	reads laggingReads[assignmentSet]
}

// assignmentSet is both assignment collections of a configuration.
type assignmentSet struct {
	groupAssignments []groupAssignment
	assignments      []targetAssignment
}

type groupAssignment struct {
	id            string
	targetGroupID string
}

type targetAssignment struct {
	id     string
	target Target
}

// entityBase is what the configurations and the apps have alike: an id,
// a place in creation order (the order lists return), their dates and
// their scope tags.
type entityBase struct {
	id              string
	seq             int64
	created         time.Time
	lastModified    time.Time
	roleScopeTagIDs []string
}

// creationSeq orders configurations and apps by creation.
var creationSeq atomic.Int64

// newEntityBase is an entity made at now, with Intune's Default scope tag.
func newEntityBase(id string, now time.Time) entityBase {
	return entityBase{id: id, seq: creationSeq.Add(1), created: now, lastModified: now, roleScopeTagIDs: []string{"0"}}
}

func (e *entityBase) base() *entityBase { return e }

// touch records a change with a new lastModifiedDateTime: now, or just
// after the last one on a clock too coarse to have moved, so that a change
// never looks older.
func (e *entityBase) touch() {
	now := time.Now().UTC()
	if !now.After(e.lastModified) {
		now = e.lastModified.Add(time.Microsecond)
	}
	e.lastModified = now
}

// setScopeTags applies roleScopeTagIds from a body (nil: absent); Intune
// keeps the Default tag when none is left.
func (e *entityBase) setScopeTags(tags []string) {
	if tags != nil {
		e.roleScopeTagIDs = tags
	}
	if len(e.roleScopeTagIDs) == 0 {
		e.roleScopeTagIDs = []string{"0"}
	}
}

// stored is an entity of one of the server's maps, as *configuration and
// *iosLobApp are; S is its state for tests.
type stored[S any] interface {
	base() *entityBase
	state() S
}

// inCreationOrder is every entity of m, oldest first.
func inCreationOrder[S any, E stored[S]](m map[string]E) []E {
	all := slices.Collect(maps.Values(m))
	slices.SortFunc(all, func(a, b E) int { return cmp.Compare(a.base().seq, b.base().seq) })
	return all
}

// find is the entity id (any case) of m, which s.mu guards; its error says
// that the noun does not exist.
func find[E any](m map[string]E, noun, id string) (E, error) {
	e, ok := m[strings.ToLower(id)]
	if !ok {
		return e, fmt.Errorf("graphfake: %s %q does not exist", noun, id)
	}
	return e, nil
}

// stateOf is a copy of the entity id (any case) of m, one of s's maps,
// taken under s.mu.
func stateOf[S any, E stored[S]](s *Server, m map[string]E, id string) (S, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := m[strings.ToLower(id)]
	if !ok {
		var zero S
		return zero, false
	}
	return e.state(), true
}

// statesOf is a copy of every entity of m, one of s's maps, in creation
// order, taken under s.mu.
func statesOf[S any, E stored[S]](s *Server, m map[string]E) []S {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := inCreationOrder[S](m)
	out := make([]S, 0, len(all))
	for _, e := range all {
		out = append(out, e.state())
	}
	return out
}

// editState changes the entity id (any case) of m, one of s's maps, out of
// band under s.mu: edit gets a copy of its state to change, and store
// writes what changed back to the entity, before and after the edit.
func editState[S any, E stored[S]](s *Server, m map[string]E, noun, id string, edit func(*S), store func(e E, before, after S)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := find(m, noun, id)
	if err != nil {
		return err
	}
	before, after := e.state(), e.state()
	edit(&after)
	store(e, before, after)
	return nil
}

// AddConfiguration seeds a configuration with empty collections. The id
// should be a GUID (Graph URLs with anything else are rejected); it is stored
// lowercase. Adding an existing id replaces it. Its profile is a bare
// property list that expires in a year, as its expirationDateTime says.
func (s *Server) AddConfiguration(id, displayName string) {
	id = strings.ToLower(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	expires := now.AddDate(1, 0, 0)
	s.configs[id] = &configuration{
		entityBase:      newEntityBase(id, now),
		displayName:     displayName,
		payloadFileName: "graphfake.xml",
		payload:         seededProfile(id, displayName, expires),
		expiration:      expires,
		version:         1,
	}
}

// seededProfile is the smallest property list a client reading profiles
// accepts (a Name, a UUID and an ExpirationDate), so that a seeded
// configuration looks like one uploaded in the portal. Tests that need a
// signed profile upload their own.
func seededProfile(id, displayName string, expires time.Time) []byte {
	var name strings.Builder
	_ = xml.EscapeText(&name, []byte(displayName)) // a strings.Builder never fails
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>ExpirationDate</key>
	<date>%s</date>
	<key>Name</key>
	<string>%s</string>
	<key>UUID</key>
	<string>%s</string>
</dict>
</plist>
`, expires.Format(time.RFC3339), name.String(), id)
}

// DeleteConfiguration removes a configuration out of band, as an admin
// deleting it in the portal would.
func (s *Server) DeleteConfiguration(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.configs, strings.ToLower(id))
}

// SetAssignments replaces both collections out of band. Unlike the assign
// action it accepts any ODataType, to simulate the portal or a newer API
// creating a target type a client does not know.
func (s *Server) SetAssignments(id string, groupIDs []string, targets []Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, err := find(s.configs, "configuration", id)
	if err != nil {
		return err
	}
	cfg.replaceAssignments(groupIDs, targets)
	cfg.reads.catchUp() // an edit in the portal is visible at once
	return nil
}

// Assignments returns the current collections of a configuration, with GUIDs
// lowercase and an empty FilterType reported as "none". ok is false if the
// configuration does not exist.
func (s *Server) Assignments(id string) (groupIDs []string, targets []Target, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, ok := s.configs[strings.ToLower(id)]
	if !ok {
		return nil, nil, false
	}
	groupIDs = make([]string, 0, len(cfg.groupAssignments))
	for _, g := range cfg.groupAssignments {
		groupIDs = append(groupIDs, g.targetGroupID)
	}
	targets = make([]Target, 0, len(cfg.assignments))
	for _, a := range cfg.assignments {
		targets = append(targets, a.target)
	}
	return groupIDs, targets, true
}

// assign replaces the collections at now; reads lag by lag (laggingReads).
func (c *configuration) assign(groupIDs []string, targets []Target, now time.Time, lag time.Duration) {
	c.reads.written(c.assignmentSet, now, lag)
	c.replaceAssignments(groupIDs, targets)
}

// visible is what a read at now shows.
func (c *configuration) visible(now time.Time) *assignmentSet {
	return c.reads.visible(&c.assignmentSet, now)
}

// laggingReads makes the reads of a value that assign replaces lag behind
// it, as Intune's do ("Reads can lag behind a successful assign",
// DESIGN.md). With a lag, reads keep showing what they showed before a
// write until now+lag; a second write inside that time extends the lag and
// reads still show the older value. Writers must replace what the value
// holds (new slices), so that the snapshot stays intact.
type laggingReads[T any] struct {
	lagged    *T // nil when reads show the current value
	visibleAt time.Time
}

// written records a write at now of a value that was before.
func (l *laggingReads[T]) written(before T, now time.Time, lag time.Duration) {
	if lag <= 0 {
		l.catchUp()
		return
	}
	if l.lagged == nil || !now.Before(l.visibleAt) {
		l.lagged = &before
	}
	l.visibleAt = now.Add(lag)
}

// visible is what a read at now shows of current.
func (l *laggingReads[T]) visible(current *T, now time.Time) *T {
	if l.lagged != nil && now.Before(l.visibleAt) {
		return l.lagged
	}
	l.lagged = nil
	return current
}

// catchUp makes reads show the current value at once.
func (l *laggingReads[T]) catchUp() { l.lagged = nil }

// replaceAssignments implements assign's replace semantics. Every entry gets
// a new id, as Intune assigns its own. The slices are new, so a lagged
// snapshot of the old ones stays intact.
func (c *configuration) replaceAssignments(groupIDs []string, targets []Target) {
	c.groupAssignments = make([]groupAssignment, 0, len(groupIDs))
	for _, g := range groupIDs {
		c.groupAssignments = append(c.groupAssignments, groupAssignment{id: newGUID(), targetGroupID: strings.ToLower(g)})
	}
	c.assignments = make([]targetAssignment, 0, len(targets))
	for _, t := range targets {
		t.GroupID = strings.ToLower(t.GroupID)
		t.FilterID = strings.ToLower(t.FilterID)
		if t.FilterType == "" {
			t.FilterType = "none"
		}
		c.assignments = append(c.assignments, targetAssignment{id: newGUID(), target: t})
	}
}

// configurationJSON is the entity as Graph returns it.
type configurationJSON struct {
	Context              string     `json:"@odata.context,omitempty"`
	ODataType            string     `json:"@odata.type"`
	ID                   string     `json:"id"`
	DisplayName          string     `json:"displayName"`
	Description          *string    `json:"description"`
	CreatedDateTime      time.Time  `json:"createdDateTime"`
	LastModifiedDateTime time.Time  `json:"lastModifiedDateTime"`
	Version              int        `json:"version"`
	PayloadFileName      string     `json:"payloadFileName"`
	Payload              []byte     `json:"payload"`            // encoding/json writes standard base64, as Graph does for Edm.Binary
	ExpirationDateTime   *time.Time `json:"expirationDateTime"` // nullable in the metadata
	RoleScopeTagIDs      []string   `json:"roleScopeTagIds"`
}

// entityJSON renders the configuration; the caller fills in @odata.context.
// Assignments live in their own collections, so assign changes none of this.
func (c *configuration) entityJSON() configurationJSON {
	e := configurationJSON{
		ODataType:            configurationODataType,
		ID:                   c.id,
		DisplayName:          c.displayName,
		CreatedDateTime:      c.created,
		LastModifiedDateTime: c.lastModified,
		Version:              c.version,
		PayloadFileName:      c.payloadFileName,
		Payload:              c.payload,
		RoleScopeTagIDs:      append([]string{}, c.roleScopeTagIDs...), // never null
	}
	if c.description != "" {
		e.Description = &c.description
	}
	if !c.expiration.IsZero() {
		e.ExpirationDateTime = &c.expiration
	}
	return e
}

type assignmentJSON struct {
	ODataType string     `json:"@odata.type"`
	ID        string     `json:"id"`
	Target    targetJSON `json:"target"`
}

// targetJSON carries groupId or collectionId only when set: valid targets of
// the known types have exactly the one their type defines, and unknown types
// (from SetAssignments) show whatever they were given.
type targetJSON struct {
	ODataType    string  `json:"@odata.type"`
	FilterID     *string `json:"deviceAndAppManagementAssignmentFilterId"`
	FilterType   string  `json:"deviceAndAppManagementAssignmentFilterType"`
	GroupID      string  `json:"groupId,omitempty"`
	CollectionID string  `json:"collectionId,omitempty"`
}

type groupAssignmentJSON struct {
	ODataType     string `json:"@odata.type"`
	ID            string `json:"id"`
	TargetGroupID string `json:"targetGroupId"`
}

func (c *assignmentSet) assignmentsJSON() []any {
	out := make([]any, 0, len(c.assignments))
	for _, a := range c.assignments {
		out = append(out, assignmentJSON{ODataType: assignmentODataType, ID: a.id, Target: a.target.json()})
	}
	return out
}

// json renders the target as Graph does.
func (t Target) json() targetJSON {
	out := targetJSON{ODataType: t.ODataType, FilterType: t.FilterType, GroupID: t.GroupID, CollectionID: t.CollectionID}
	if t.FilterID != "" {
		out.FilterID = &t.FilterID
	}
	return out
}

func (c *assignmentSet) groupAssignmentsJSON() []any {
	out := make([]any, 0, len(c.groupAssignments))
	for _, g := range c.groupAssignments {
		out = append(out, groupAssignmentJSON{ODataType: groupAssignmentODataType, ID: g.id, TargetGroupID: g.targetGroupID})
	}
	return out
}

// IsGUID reports whether s is a GUID in the 8-4-4-4-12 form, any case, as
// Graph requires for configuration, group and filter ids.
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			isHex := '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
			if !isHex {
				return false
			}
		}
	}
	return true
}

// newGUID returns a random (version 4) GUID, lowercase like Graph's.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails, per crypto/rand
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
