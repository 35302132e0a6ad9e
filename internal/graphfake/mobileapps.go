package graphfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/intunetf/terraform-provider-intune/internal/text"
)

// The in-house app: deviceAppManagement/mobileApps, of which the emulator
// models #microsoft.graph.iosLobApp (../shared/DESIGN.md "The in-house
// app"; the types are Microsoft's beta metadata, internal/csdl's
// beta-metadata-apps-excerpt.xml). Content versions and files are in
// appcontent.go, Storage and the commit check in storage.go and commit.go.

const (
	mobileAppsPath     = "/beta/deviceAppManagement/mobileApps"
	iosLobAppODataType = "#microsoft.graph.iosLobApp"
	iosLobAppCast      = "microsoft.graph.iosLobApp"
)

// Publishing states (enum mobileAppPublishingState).
const (
	PublishingNotPublished = "notPublished"
	PublishingProcessing   = "processing"
	PublishingPublished    = "published"
)

// abstractAppTypes are the abstract bases of iosLobApp in the metadata: a
// body typed with one of them (or untyped, which OData reads as the
// collection's declared type, mobileApp) fails with ModelValidationFailure
// "Cannot create an abstract class." (msgraph-beta-sdk-dotnet issue 699,
// microsoft-graph-docs issue 5517).
var abstractAppTypes = []string{"#microsoft.graph.mobileApp", "#microsoft.graph.mobileLobApp"}

// appStringProperties are the Edm.String properties of iosLobApp and its
// bases that a client may write, all nullable in the metadata.
var appStringProperties = []string{
	"displayName", "description", "publisher", "developer", "owner", "notes", "informationUrl",
	"privacyInformationUrl", "bundleId", "fileName", "buildNumber", "versionNumber", "committedContentVersion",
}

// appReadOnlyProperties are computed (Org.OData.Core.V1.Computed or
// documented read-only). Bodies may carry them, as clients echo entities
// back; they are ignored, as Intune ignores them.
var appReadOnlyProperties = []string{
	"id", "createdDateTime", "lastModifiedDateTime", "publishingState", "size", "uploadState",
	"dependentAppCount", "isAssigned", "supersededAppCount", "supersedingAppCount",
}

// minimumOSFlags are the properties of iosMinimumOperatingSystem, in the
// order the versions go.
var minimumOSFlags = []string{
	"v8_0", "v9_0", "v10_0", "v11_0", "v12_0", "v13_0", "v14_0", "v15_0", "v16_0", "v17_0", "v18_0", "v26_0",
}

// deliveryProtocols are the members of appleDeviceDeliveryProtocol a client
// may set (unknownFutureValue is OData's evolvable-enum sentinel, not a value).
var deliveryProtocols = []string{"default", "mobileDeviceManagement", "declarativeDeviceManagement"}

// iosLobApp is one app as the emulator holds it.
type iosLobApp struct {
	entityBase
	strs            map[string]*string // appStringProperties; nil (or absent) is null
	isFeatured      bool
	iPad, iPhone    bool            // applicableDeviceType
	minimumOS       map[string]bool // nil is null
	expiration      *time.Time
	delivery        string // appleDeviceAppDeliveryProtocolType
	publishingState string
	processingReads int // reads left that answer processing

	contentVersions []*contentVersion
	faults          AppFaults
	commitFailure   string // why the last commit of one of its files failed

	assignments     []AppAssignment // appassignments.go
	assignmentReads laggingReads[[]AppAssignment]
}

func (a *iosLobApp) str(name string) string {
	if p := a.strs[name]; p != nil {
		return *p
	}
	return ""
}

// committed is the committed content version, or nil.
func (a *iosLobApp) committed() *contentVersion {
	return a.contentVersion(a.str("committedContentVersion"))
}

func (a *iosLobApp) contentVersion(id string) *contentVersion {
	for _, v := range a.contentVersions {
		if v.id == id {
			return v
		}
	}
	return nil
}

// size is "the total size, including all uploaded files" (the metadata's
// mobileLobApp.size): the plaintext sizes of the committed version's files.
func (a *iosLobApp) size() int64 {
	var n int64
	if v := a.committed(); v != nil {
		for _, f := range v.files {
			n += f.size
		}
	}
	return n
}

// uploadStateNumber is mobileApp.uploadState, documented only as "0 - Not
// Ready, 1 - Ready, 2 - Processing": the emulator derives it from the
// publishing state.
func (a *iosLobApp) uploadStateNumber() int {
	switch a.publishingState {
	case PublishingPublished:
		return 1
	case PublishingProcessing:
		return 2
	}
	return 0
}

// read is one read of the app by id: it moves processing towards published.
func (a *iosLobApp) read() {
	if a.publishingState != PublishingProcessing {
		return
	}
	if a.processingReads > 0 {
		a.processingReads--
		return
	}
	a.publishingState = PublishingPublished
}

// entityJSON renders the app with every structural property, as Graph
// answers it; the caller adds @odata.context.
func (a *iosLobApp) entityJSON() map[string]any {
	e := map[string]any{
		"@odata.type":                        iosLobAppODataType,
		"id":                                 a.id,
		"createdDateTime":                    a.created,
		"lastModifiedDateTime":               a.lastModified,
		"isFeatured":                         a.isFeatured,
		"isAssigned":                         len(a.visibleAssignments(time.Now())) > 0,
		"dependentAppCount":                  0,
		"supersededAppCount":                 0,
		"supersedingAppCount":                0,
		"uploadState":                        a.uploadStateNumber(),
		"publishingState":                    a.publishingState,
		"largeIcon":                          nil,
		"roleScopeTagIds":                    append([]string{}, a.roleScopeTagIDs...),
		"size":                               a.size(),
		"applicableDeviceType":               map[string]any{"iPad": a.iPad, "iPhoneAndIPod": a.iPhone},
		"appleDeviceAppDeliveryProtocolType": a.delivery,
		"expirationDateTime":                 nil,
		"minimumSupportedOperatingSystem":    nil,
	}
	for _, name := range appStringProperties {
		if p := a.strs[name]; p != nil {
			e[name] = *p
		} else {
			e[name] = nil
		}
	}
	if a.expiration != nil {
		e["expirationDateTime"] = *a.expiration
	}
	if a.minimumOS != nil {
		flags := map[string]any{}
		for _, f := range minimumOSFlags {
			flags[f] = a.minimumOS[f]
		}
		e["minimumSupportedOperatingSystem"] = flags
	}
	return e
}

// mobileAppRoutes are what the apps serve: list, create, read, update,
// delete, an app's assignments and assign, and its content behind the cast.
var mobileAppRoutes = entityRoutes{
	set: mobileAppSet, noun: "app",
	list: (*Server).listApps, create: (*Server).createApp,
	get: (*Server).getApp, update: (*Server).updateApp,
	remove: func(s *Server, w http.ResponseWriter, r *http.Request, id string) {
		deleteOne(s, w, r, s.mobileApps, id)
	},
	below: map[string]route{
		segmentAssignments:     {http.MethodGet, (*Server).listAppAssignments},
		segmentAssign:          {http.MethodPost, (*Server).assignApp},
		segmentAssignQualified: {http.MethodPost, (*Server).assignApp},
	},
	deeper: (*Server).serveAppCast,
}

// serveAppCast serves the paths behind the iosLobApp cast.
// contentVersions is declared on mobileLobApp, not on the collection's type
// mobileApp, so OData only resolves it after a type-cast segment: without it
// Graph answers 400 "Resource not found for the segment 'contentVersions'"
// (microsoft-graph-docs issue 4882). Microsoft's samples cast on every
// content route (powershell-intune-samples Application_LOB_Add.ps1), and so
// does the emulator require it.
func (s *Server) serveAppCast(w http.ResponseWriter, r *http.Request, id string, segs []string) {
	switch {
	case !strings.EqualFold(segs[0], iosLobAppCast):
		s.writeGraphError(w, r, odataBadRequest("Resource not found for the segment '%s'.", segs[0]))
	case len(segs) > 1 && slices.Contains([]string{segmentAssignments, segmentAssign, segmentAssignQualified}, strings.ToLower(segs[1])):
		s.noCastRoute(w, r, id, segs[1:])
	default:
		s.serveAppContent(w, r, id, segs[1:])
	}
}

// The structural properties of mobileApp (with entity's id), and of its
// derived types mobileLobApp and iosLobApp with those they inherit.
var (
	mobileAppProperties = []string{"id", "displayName", "description", "publisher", "largeIcon", "createdDateTime",
		"lastModifiedDateTime", "isFeatured", "privacyInformationUrl", "informationUrl", "owner", "developer", "notes",
		"uploadState", "publishingState", "isAssigned", "roleScopeTagIds", "dependentAppCount", "supersedingAppCount",
		"supersededAppCount"}
	mobileLobAppProperties = append(slices.Clone(mobileAppProperties), "committedContentVersion", "fileName", "size")
	iosLobAppProperties    = append(slices.Clone(mobileLobAppProperties), "bundleId", "applicableDeviceType",
		"minimumSupportedOperatingSystem", "expirationDateTime", "versionNumber", "buildNumber", "appleDeviceAppDeliveryProtocolType")
)

// mobileAppSet is the apps as OData's query options see them: the
// declared type is the abstract mobileApp, whose own properties $select
// names plainly, and iosLobApp's (or mobileLobApp's) behind their cast.
var mobileAppSet = entitySet{
	path:       mobileAppsPath,
	context:    "deviceAppManagement/mobileApps",
	typeName:   "microsoft.graph.mobileApp",
	properties: mobileAppProperties,
	casts:      map[string][]string{"microsoft.graph.mobileLobApp": mobileLobAppProperties, iosLobAppCast: iosLobAppProperties},
	navigation: []string{"assignments"},
}

// listApps serves one page of the collection in creation order, with the
// $select-ed properties. The only $filter accepted is the one the docs give
// for listing iOS LOB apps ("List iosLobApps": isof('microsoft.graph.iosLobApp'));
// the emulator holds no other kind of app, so it matches every app. $expand
// is refused: the metadata's description of mobileApp says listing apps
// with $expand=assignments is deprecated, and to expand on each app instead.
func (s *Server) listApps(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	for name := range query {
		switch strings.ToLower(name) {
		case "$filter":
			if f := query.Get(name); !isofIOSLobApp.MatchString(f) {
				s.writeGraphError(w, r, odataBadRequest("The $filter '%s' is not supported by graphfake on this path; it accepts isof('microsoft.graph.iosLobApp').", text.Truncate(f, 80)))
				return
			}
		case "$expand":
			s.writeGraphError(w, r, odataBadRequest("Listing mobile apps with $expand is deprecated (the metadata's description of mobileApp); expand on each app instead."))
			return
		}
	}
	selected, _, offset, e := s.parseListOptions(query, mobileAppSet, "$filter")
	if e != nil {
		s.writeGraphError(w, r, e)
		return
	}

	s.mu.Lock()
	page := pageOf(s.sortedApps(), offset, s.pageSize, mobileAppSet.contextURL(s.url)+selectContext(selected),
		func(a *iosLobApp) any { return selectProperties(a.entityJSON(), selected) },
		nextWithQuery(s.url+mobileAppsPath, query, "$filter", "$select"))
	s.mu.Unlock()
	writeGraphJSON(w, http.StatusOK, page)
}

// sortedApps is every app in creation order; s.mu must be held.
func (s *Server) sortedApps() []*iosLobApp {
	return inCreationOrder[IOSLobAppState](s.mobileApps)
}

var isofIOSLobApp = regexp.MustCompile(`(?i)^\s*isof\(\s*'microsoft\.graph\.iosLobApp'\s*\)\s*$`)

// getApp answers the app, with its $select-ed properties (and its
// @odata.type, as OData names the type of an instance of a derived type)
// and, under the server's read behaviour, its $expand-ed assignments. Each
// read moves a processing app towards published.
func (s *Server) getApp(w http.ResponseWriter, r *http.Request, id string) {
	s.readOne(w, r, mobileAppSet, func(selected, expand []string, context string) (any, bool) {
		a, ok := s.mobileApps[id]
		if !ok {
			return nil, false
		}
		a.read()
		entity := selectProperties(a.entityJSON(), selected)
		visible := a.visibleAssignments(time.Now())
		s.expand(entity, mobileAppSet, id, expand, func(string) []any { return appAssignmentsJSON(visible) })
		entity["@odata.context"] = context
		return entity, true
	})
}

// noQueryOptions refuses query options on routes that implement none, so a
// client relying on one fails here rather than passing unfiltered.
func noQueryOptions(r *http.Request) *graphError {
	for name := range r.URL.Query() {
		if strings.HasPrefix(name, "$") {
			return odataBadRequest("The query option '%s' is not supported by graphfake on this path.", name)
		}
	}
	return nil
}

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) {
	in, ok := readBody(s, w, r, maxEntityBody, parseAppCreateBody)
	if !ok {
		return
	}
	now := time.Now().UTC()
	a := &iosLobApp{
		entityBase:      newEntityBase(newGUID(), now),
		strs:            map[string]*string{},
		delivery:        "default", // the metadata's description: "Default value is: 'default'"
		publishingState: PublishingNotPublished,
	}
	in.apply(a)

	s.mu.Lock()
	s.mobileApps[a.id] = a
	entity := a.entityJSON()
	s.mu.Unlock()

	entity["@odata.context"] = mobileAppSet.contextURL(s.url) + "/$entity"
	w.Header().Set("Location", fmt.Sprintf("%s%s('%s')", s.url, mobileAppsPath, a.id))
	writeGraphJSON(w, http.StatusCreated, entity)
}

// parseAppCreateBody is parseAppBody and what Intune requires of a new app.
func parseAppCreateBody(body []byte) (appInput, *graphError) {
	in, e := parseAppBody(body)
	switch {
	case e != nil:
		return in, e
	case in.strs["displayName"] == nil || strings.TrimSpace(*in.strs["displayName"]) == "":
		return in, intuneBadRequest("displayName is required and must not be empty.")
	case in.strs["bundleId"] == nil || *in.strs["bundleId"] == "":
		// Undocumented; every client sends it, and content is checked against it.
		return in, intuneBadRequest("bundleId is required for an iosLobApp.")
	case in.strs["committedContentVersion"] != nil && *in.strs["committedContentVersion"] != "":
		return in, intuneBadRequest("committedContentVersion '%s' does not exist: the app has no content yet.", *in.strs["committedContentVersion"])
	}
	return in, nil
}

func (s *Server) updateApp(w http.ResponseWriter, r *http.Request, id string) {
	var entity map[string]any
	writeOne(s, w, r, maxEntityBody, parseAppBody, entry(s.mobileApps, id), func(a *iosLobApp, in appInput) *graphError {
		if e := s.checkAppUpdate(a, in); e != nil {
			return e
		}
		moved := in.strs["committedContentVersion"] != nil
		in.apply(a)
		if moved {
			// Then Intune processes the content: processing, then
			// published (Graph's iosLobApp docs; DESIGN.md).
			a.publishingState = PublishingProcessing
			a.processingReads = s.publishingReads
		}
		a.touch()
		entity = a.entityJSON()
		return nil
	}, func() {
		// The beta update page answers 200 OK with the updated entity.
		entity["@odata.context"] = mobileAppSet.contextURL(s.url) + "/$entity"
		writeGraphJSON(w, http.StatusOK, entity)
	})
}

// checkAppUpdate is what Intune checks of a PATCH against the app it
// changes; s.mu must be held.
func (s *Server) checkAppUpdate(a *iosLobApp, in appInput) *graphError {
	if p, ok := in.strs["committedContentVersion"]; ok {
		if p == nil || *p == "" {
			return intuneBadRequest("committedContentVersion cannot be cleared.")
		}
		v := a.contentVersion(*p)
		switch {
		case v == nil:
			return intuneBadRequest("committedContentVersion '%s' does not exist.", *p)
		case len(v.files) == 0:
			return intuneBadRequest("Content version '%s' has no files.", *p)
		}
		for _, f := range v.files {
			if !f.isCommitted {
				return intuneBadRequest("Content version '%s' cannot be committed: file '%s' is %s.", *p, f.id, f.uploadState)
			}
		}
	}
	if p, ok := in.strs["bundleId"]; ok && (p == nil || *p != a.str("bundleId")) {
		// Microsoft Learn, "Add an iOS line-of-business app": a different
		// bundle id is a different app.
		return intuneBadRequest("bundleId cannot be changed.")
	}
	if in.strs["displayName"] != nil && strings.TrimSpace(*in.strs["displayName"]) == "" {
		return intuneBadRequest("displayName must not be empty.")
	}
	if in.delivery != "" && a.delivery == "declarativeDeviceManagement" && in.delivery != a.delivery {
		// The metadata's description of appleDeviceAppDeliveryProtocolType.
		return intuneBadRequest("appleDeviceAppDeliveryProtocolType declarativeDeviceManagement can no longer be modified.")
	}
	return nil
}

// appInput is a validated create or update body; absent properties are
// absent from the maps, and leave the stored value alone.
type appInput struct {
	strs            map[string]*string // a nil value is an explicit null
	isFeatured      *bool
	roleScopeTagIDs []string // nil: absent
	deviceType      *[2]bool // iPad, iPhoneAndIPod
	minimumOS       *map[string]bool
	expiration      **time.Time
	delivery        string
}

func (in appInput) apply(a *iosLobApp) {
	for k, v := range in.strs {
		a.strs[k] = v
	}
	if in.isFeatured != nil {
		a.isFeatured = *in.isFeatured
	}
	a.setScopeTags(in.roleScopeTagIDs)
	if in.deviceType != nil {
		a.iPad, a.iPhone = in.deviceType[0], in.deviceType[1]
	}
	if in.minimumOS != nil {
		a.minimumOS = *in.minimumOS
	}
	if in.expiration != nil {
		a.expiration = *in.expiration
	}
	if in.delivery != "" {
		a.delivery = in.delivery
	}
}

// parseAppBody validates a create or PATCH body against the metadata's
// iosLobApp: a concrete @odata.type (compared without regard to case, as
// Microsoft's own samples send #microsoft.graph.iosLOBApp), only declared
// properties, each with its declared type and nullability.
func parseAppBody(body []byte) (appInput, *graphError) {
	in := appInput{strs: map[string]*string{}}
	props, err := decodeObject(body)
	if err != nil {
		return in, odataBadRequest("Invalid JSON in the request payload: %v", err)
	}
	if e := requireConcreteType(props, iosLobAppODataType, abstractAppTypes); e != nil {
		return in, e
	}
	for _, name := range sortedKeys(props) {
		raw := props[name]
		switch {
		case name == propODataType, slices.Contains(appReadOnlyProperties, name):
		case slices.Contains(appStringProperties, name):
			p, e := optionalString(props, name, true)
			if e != nil {
				return in, e
			}
			if isNull(raw) {
				p = nil
			}
			in.strs[name] = p
		case name == "isFeatured":
			var b bool
			if e := decodeBool(raw, name, &b); e != nil {
				return in, e
			}
			in.isFeatured = &b
		case name == "roleScopeTagIds":
			tags, e := decodeScopeTags(raw)
			if e != nil {
				return in, e
			}
			in.roleScopeTagIDs = tags
		case name == "applicableDeviceType":
			flags, e := complexBooleans(raw, name, "#microsoft.graph.iosDeviceType", []string{"iPad", "iPhoneAndIPod"}, false)
			if e != nil {
				return in, e
			}
			in.deviceType = &[2]bool{flags["iPad"], flags["iPhoneAndIPod"]}
		case name == "minimumSupportedOperatingSystem":
			// Microsoft's samples set exactly one flag, but nothing documents
			// that Graph requires it, so any combination the metadata allows
			// is accepted.
			flags, e := complexBooleans(raw, name, "#microsoft.graph.iosMinimumOperatingSystem", minimumOSFlags, true)
			if e != nil {
				return in, e
			}
			in.minimumOS = &flags
		case name == "expirationDateTime":
			var t *time.Time
			if !isNull(raw) {
				parsed, e := decodeDateTime(raw)
				if e != nil {
					return in, e
				}
				t = &parsed
			}
			in.expiration = &t
		case name == "appleDeviceAppDeliveryProtocolType":
			var v string
			if isNull(raw) || json.Unmarshal(raw, &v) != nil || !slices.Contains(deliveryProtocols, v) {
				return in, odataBadRequest("The value %s is not valid for the property 'appleDeviceAppDeliveryProtocolType' of enum type 'microsoft.graph.appleDeviceDeliveryProtocol'.", text.Truncate(string(raw), 40))
			}
			in.delivery = v
		case name == "largeIcon":
			if !isNull(raw) {
				return in, odataBadRequest("The property 'largeIcon' is not supported by graphfake.")
			}
		default:
			return in, odataBadRequest("The property '%s' does not exist on type 'microsoft.graph.iosLobApp'. Make sure to only use property names that are defined by the type or mark the type as open type.", name)
		}
	}
	return in, nil
}
