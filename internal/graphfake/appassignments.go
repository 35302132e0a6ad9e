package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// An app's assignments: POST {app}/assign replaces the whole set, GET
// {app}/assignments reads it, every page (../shared/DESIGN.md "The in-house
// app"; the types are the beta metadata's mobileAppAssignment, installIntent,
// iosLobAppAssignmentSettings and the action assign bound to mobileApp, in
// internal/csdl's beta-metadata-apps-excerpt.xml).

const (
	paramAppAssignments                  = "mobileAppAssignments"
	appAssignmentODataType               = "#microsoft.graph.mobileAppAssignment"
	iosLobAppAssignmentSettingsODataType = "#microsoft.graph.iosLobAppAssignmentSettings"
	// The abstract base of every app's assignment settings.
	appAssignmentSettingsODataType = "#microsoft.graph.mobileAppAssignmentSettings"
)

// Install intents: the members of the metadata's enum installIntent.
const (
	IntentAvailable                  = "available"
	IntentRequired                   = "required"
	IntentUninstall                  = "uninstall"
	IntentAvailableWithoutEnrollment = "availableWithoutEnrollment"
)

var installIntents = []string{IntentAvailable, IntentRequired, IntentUninstall, IntentAvailableWithoutEnrollment}

// assignmentSources are the members of deviceAndAppManagementAssignmentSource.
var assignmentSources = []string{"direct", "policySets"}

// AppAssignment is one mobileAppAssignment of an app, as tests seed it
// (SetAppAssignments) and read it (AppAssignments). Its source is always
// direct: the emulator has no policy sets.
type AppAssignment struct {
	ID       string // made by the emulator; SetAppAssignments ignores it
	Intent   string // a member of installIntent (Intent*)
	Target   Target
	Settings *IOSLobAppAssignmentSettings // nil is null, which Intune reads as the defaults
	// OtherSettings, with Settings nil, is the @odata.type of settings of
	// another type: only SetAppAssignments takes it, to simulate settings
	// a client does not know.
	OtherSettings string
}

// IOSLobAppAssignmentSettings are an assignment's
// iosLobAppAssignmentSettings, with their JSON names; a nil property is
// null (the metadata: true for UninstallOnDeviceRemoval and IsRemovable,
// false for PreventManagedAppBackup).
type IOSLobAppAssignmentSettings struct {
	VPNConfigurationID       *string `json:"vpnConfigurationId"`
	UninstallOnDeviceRemoval *bool   `json:"uninstallOnDeviceRemoval"`
	IsRemovable              *bool   `json:"isRemovable"`
	PreventManagedAppBackup  *bool   `json:"preventManagedAppBackup"`
}

// clone copies the settings and what they point to.
func (st *IOSLobAppAssignmentSettings) clone() *IOSLobAppAssignmentSettings {
	if st == nil {
		return nil
	}
	return &IOSLobAppAssignmentSettings{VPNConfigurationID: clonePointer(st.VPNConfigurationID),
		UninstallOnDeviceRemoval: clonePointer(st.UninstallOnDeviceRemoval), IsRemovable: clonePointer(st.IsRemovable),
		PreventManagedAppBackup: clonePointer(st.PreventManagedAppBackup)}
}

func clonePointer[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// SetAppAssignments replaces an app's assignments out of band, as an admin
// in the portal would: at once (no read lag), each with a new id. The
// portal makes only what the assign action accepts, so the set is checked
// as assign checks it (the app published, each intent, target and settings,
// Intune's rules), except that a target type the emulator does not know,
// and OtherSettings, are taken as they are, to simulate the portal or a
// newer API making what a client does not know.
func (s *Server) SetAppAssignments(appID string, as []AppAssignment) error {
	list := make([]AppAssignment, 0, len(as))
	for i, x := range as {
		where := fmt.Sprintf("%s[%d]", paramAppAssignments, i)
		x.Settings = x.Settings.clone()
		if x.Target.FilterType == "" {
			x.Target.FilterType = "none"
		}
		intent, _ := json.Marshal(x.Intent)
		e := enumValue(intent, "installIntent", installIntents, where+".intent")
		if _, known := targetIDProperty[x.Target.ODataType]; known && e == nil {
			e = checkTarget(x.Target, where+".target")
		}
		if x.Settings != nil && e == nil {
			e = checkSettings(x.Settings, where+".settings")
		}
		if e != nil {
			return fmt.Errorf("graphfake: %s", e.message)
		}
		list = append(list, x)
	}
	if e := checkAppAssignments(list); e != nil {
		return fmt.Errorf("graphfake: %s", e.message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := find(s.mobileApps, "app", appID)
	if err != nil {
		return err
	}
	if e := a.assignable(); e != nil {
		return fmt.Errorf("graphfake: %s", e.message)
	}
	a.assign(list, time.Now(), 0)
	return nil
}

// AppAssignments returns an app's assignments as they are now (whatever
// reads lagging behind an assign show), with GUIDs in lower case and an
// empty FilterType reported as "none". ok is false if the app does not
// exist.
func (s *Server) AppAssignments(appID string) ([]AppAssignment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.mobileApps[strings.ToLower(appID)]
	if !ok {
		return nil, false
	}
	out := make([]AppAssignment, 0, len(a.assignments))
	for _, x := range a.assignments {
		x.Settings = x.Settings.clone()
		out = append(out, x)
	}
	return out, true
}

// assignable refuses to assign an app that is not published: only a
// published app can be assigned (DESIGN.md, "The in-house app"; the portal
// offers no assignment before the upload is processed).
func (a *iosLobApp) assignable() *graphError {
	if a.publishingState != PublishingPublished {
		return intuneBadRequest("The app's publishingState is '%s': only an app whose publishingState is '%s' can be assigned.", a.publishingState, PublishingPublished)
	}
	return nil
}

// assign replaces the app's assignments at now, each with a new id (Intune
// makes its own); reads lag by lag (laggingReads). The slice is new, so a
// lagged snapshot of the old one stays intact.
func (a *iosLobApp) assign(list []AppAssignment, now time.Time, lag time.Duration) {
	a.assignmentReads.written(a.assignments, now, lag)
	a.assignments = make([]AppAssignment, 0, len(list))
	for _, x := range list {
		x.ID = newGUID()
		x.Target.GroupID = strings.ToLower(x.Target.GroupID)
		x.Target.FilterID = strings.ToLower(x.Target.FilterID)
		if x.Settings != nil && x.Settings.VPNConfigurationID != nil {
			vpn := strings.ToLower(*x.Settings.VPNConfigurationID)
			x.Settings.VPNConfigurationID = &vpn
		}
		a.assignments = append(a.assignments, x)
	}
}

// visibleAssignments is what a read at now shows.
func (a *iosLobApp) visibleAssignments(now time.Time) []AppAssignment {
	return *a.assignmentReads.visible(&a.assignments, now)
}

// assignApp serves POST {app}/assign: a published app's set replaced.
func (s *Server) assignApp(w http.ResponseWriter, r *http.Request, id string) {
	writeOne(s, w, r, maxRequestBody, parseAppAssignBody, entry(s.mobileApps, id), func(a *iosLobApp, list []AppAssignment) *graphError {
		if e := a.assignable(); e != nil {
			return e
		}
		a.assign(list, time.Now(), s.readLagOf(r))
		return nil
	}, func() { w.WriteHeader(http.StatusNoContent) })
}

// listAppAssignments serves GET {app}/assignments, one page at a time.
func (s *Server) listAppAssignments(w http.ResponseWriter, r *http.Request, id string) {
	s.listCollection(w, r, mobileAppSet, id, "assignments", func() ([]any, bool) {
		a, ok := s.mobileApps[id]
		if !ok {
			return nil, false
		}
		return appAssignmentsJSON(a.visibleAssignments(time.Now())), true
	})
}

// noCastRoute answers a route through the iosLobApp cast to the app's
// assignments or its assign action: Graph has none, and answers 400 "No
// method match route template" (msgraph-sdk-powershell issue 2985, for
// New- and Get-MgBetaDeviceAppManagementMobileAppAsiOSLobAppAssignment).
func (s *Server) noCastRoute(w http.ResponseWriter, r *http.Request, id string, segs []string) {
	template := "~/singleton/navigation/key/cast/navigation"
	if len(segs) == 1 && strings.HasSuffix(strings.ToLower(segs[0]), segmentAssign) {
		template = "~/singleton/navigation/key/cast/action"
	} else if len(segs) > 1 {
		template += "/key"
	}
	s.writeGraphError(w, r, &graphError{status: http.StatusBadRequest, code: "No method match route template",
		message: fmt.Sprintf("No OData route exists that match template %s with http verb %s for request /StatelessAppMetadataFEService/deviceAppManagement/mobileApps('%s')/%s/%s.",
			template, r.Method, id, iosLobAppCast, strings.Join(segs, "/"))})
}

// parseAppAssignBody validates an assign body as strictly as Graph and
// Intune do: the one parameter mobileAppAssignments, each entry a
// mobileAppAssignment of the metadata's types, then Intune's rules across
// the set. OData's errors come back as plain messages, Intune's in its
// envelope.
func parseAppAssignBody(body []byte) ([]AppAssignment, *graphError) {
	arrays, e := actionArrays(body, "assign", paramAppAssignments)
	if e != nil {
		return nil, e
	}
	list, e := parseEach(arrays[0], paramAppAssignments, parseAppAssignment)
	if e != nil {
		return nil, e
	}
	return list, checkAppAssignments(list)
}

// appAssignmentShape is a mobileAppAssignment: an entity type with no
// derived types, so OData takes an item without @odata.type as one.
// source and sourceId are read-only (Org.OData.Core.V1.Computed in the
// metadata); OData ignores what a client sends for a computed property, and
// clients that re-post the set they read (the portal re-posts the existing
// assignments with a new one, powershell-intune-samples issue 36) send
// them, so they are accepted when well typed, and ignored, like the id.
var appAssignmentShape = objectShape{odataType: appAssignmentODataType, typeOptional: true,
	properties: []string{"id", "intent", "target", "settings", "source", "sourceId"}}

func parseAppAssignment(raw json.RawMessage, where string) (AppAssignment, *graphError) {
	props, e := appAssignmentShape.entity(raw, where)
	if e != nil {
		return AppAssignment{}, e
	}
	if source, ok := props["source"]; ok {
		if e := enumValue(source, "deviceAndAppManagementAssignmentSource", assignmentSources, where+".source"); e != nil {
			return AppAssignment{}, e
		}
	}
	if _, e := nullableString(props, "sourceId", where); e != nil {
		return AppAssignment{}, e
	}
	var x AppAssignment
	rawIntent, ok := props["intent"]
	if !ok {
		return AppAssignment{}, odataBadRequest("%s: the property 'intent' is required.", where)
	}
	if e := enumValue(rawIntent, "installIntent", installIntents, where+".intent"); e != nil {
		return AppAssignment{}, e
	}
	_ = json.Unmarshal(rawIntent, &x.Intent) // a string: enumValue has checked
	if x.Target, e = requiredTarget(props, where); e != nil {
		return AppAssignment{}, e
	}
	x.Settings, e = parseAppAssignmentSettings(props["settings"], where+".settings")
	return x, e
}

// parseAppAssignmentSettings reads settings: null (or absent), or an
// iosLobAppAssignmentSettings named by its @odata.type. Without the type,
// or with the abstract mobileAppAssignmentSettings, OData cannot make an
// instance, and Graph answers as it answers a PATCH of an app without its
// concrete type: ModelValidationFailure (msgraph-beta-sdk-dotnet issue 699).
func parseAppAssignmentSettings(raw json.RawMessage, where string) (*IOSLobAppAssignmentSettings, *graphError) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	props, err := decodeObject(raw)
	if err != nil {
		return nil, odataBadRequest("%s must be a JSON object: %v", where, err)
	}
	if e := requireConcreteType(props, iosLobAppAssignmentSettingsODataType, []string{appAssignmentSettingsODataType}); e != nil {
		return nil, e
	}
	if e := onlyProperties(props, iosLobAppAssignmentSettingsODataType, propODataType,
		"vpnConfigurationId", "uninstallOnDeviceRemoval", "isRemovable", "preventManagedAppBackup"); e != nil {
		return nil, e
	}
	st := &IOSLobAppAssignmentSettings{}
	var e *graphError
	if st.VPNConfigurationID, e = nullableString(props, "vpnConfigurationId", where); e != nil {
		return nil, e
	}
	for _, p := range []struct {
		name string
		into **bool
	}{{"uninstallOnDeviceRemoval", &st.UninstallOnDeviceRemoval}, {"isRemovable", &st.IsRemovable}, {"preventManagedAppBackup", &st.PreventManagedAppBackup}} {
		if raw, ok := props[p.name]; ok && !isNull(raw) {
			var b bool
			if e := decodeBool(raw, p.name, &b); e != nil {
				return nil, e
			}
			*p.into = &b
		}
	}
	return st, checkSettings(st, where)
}

// checkSettings checks the values of iosLobAppAssignmentSettings. The
// metadata types vpnConfigurationId as a string; the id of a VPN
// configuration (a deviceConfiguration) is a GUID. Nobody documents what
// Intune does with another value, so the emulator is strict.
func checkSettings(st *IOSLobAppAssignmentSettings, where string) *graphError {
	if st.VPNConfigurationID != nil && !IsGUID(*st.VPNConfigurationID) {
		return intuneBadRequest("%s.vpnConfigurationId: '%s' is not a valid GUID.", where, *st.VPNConfigurationID)
	}
	return nil
}

// checkAppAssignments applies Intune's rules for an app's assignments
// (Microsoft Learn, "Assign apps to groups with Microsoft Intune"), in
// Intune's envelope: an app made available (available, or
// availableWithoutEnrollment) cannot target all devices; filters are not
// applied to exclusion groups; and a group is assigned an app once, whatever
// the intent. Targets of types the emulator does not know (seeded) are
// compared by their type and ids.
func checkAppAssignments(list []AppAssignment) *graphError {
	first := map[string]int{}
	for i, x := range list {
		where := fmt.Sprintf("%s[%d]", paramAppAssignments, i)
		t := x.Target
		switch {
		case t.ODataType == allDevicesTargetType && (x.Intent == IntentAvailable || x.Intent == IntentAvailableWithoutEnrollment):
			return intuneBadRequest("%s: an app made available (intent '%s') cannot be assigned to all devices.", where, x.Intent)
		case t.ODataType == exclusionTargetType && (t.FilterID != "" || t.FilterType != "none"):
			return intuneBadRequest("%s: assignment filters are not applied to exclusion groups; an exclusion takes no filter.", where)
		}
		key := strings.ToLower(t.GroupID)
		if key == "" {
			key = strings.ToLower(t.ODataType + "/" + t.CollectionID)
		}
		if j, seen := first[key]; seen {
			return intuneBadRequest("%s[%d] and %s target the same group: an app is assigned to a group once.", paramAppAssignments, j, where)
		}
		first[key] = i
	}
	return nil
}

// appAssignmentJSON is a mobileAppAssignment as Graph returns it.
type appAssignmentJSON struct {
	ODataType string     `json:"@odata.type"`
	ID        string     `json:"id"`
	Intent    string     `json:"intent"`
	Source    string     `json:"source"`
	SourceID  *string    `json:"sourceId"`
	Target    targetJSON `json:"target"`
	Settings  any        `json:"settings"`
}

func appAssignmentsJSON(list []AppAssignment) []any {
	out := make([]any, 0, len(list))
	for _, x := range list {
		item := appAssignmentJSON{ODataType: appAssignmentODataType, ID: x.ID, Intent: x.Intent, Source: "direct", Target: x.Target.json()}
		switch {
		case x.OtherSettings != "":
			item.Settings = map[string]string{propODataType: x.OtherSettings}
		case x.Settings != nil:
			item.Settings = struct {
				ODataType string `json:"@odata.type"`
				*IOSLobAppAssignmentSettings
			}{iosLobAppAssignmentSettingsODataType, x.Settings}
		}
		out = append(out, item)
	}
	return out
}
