package graphfake

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// publishedApp seeds an app with committed content, as the portal makes it.
func publishedApp(t *testing.T, s *Server) string {
	t.Helper()
	id, err := s.AddIOSLobApp(IOSLobAppSeed{DisplayName: "Sales", IPA: testIPA(t, testBundleID, "1")})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// appAssignBody is an assign body with the given entries.
func appAssignBody(entries ...string) string {
	return `{"mobileAppAssignments":[` + strings.Join(entries, ",") + `]}`
}

// appAssignment is one entry as the provider sends it.
func appAssignment(intent, target, settings string) string {
	return `{"@odata.type":"#microsoft.graph.mobileAppAssignment","intent":"` + intent + `","target":` + target + `,"settings":` + settings + `}`
}

const iosSettings = `{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","vpnConfigurationId":null,"uninstallOnDeviceRemoval":false,"isRemovable":null,"preventManagedAppBackup":true}`

func TestAppAssignReplacesTheSet(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := publishedApp(t, s)
	assign := func(path, body string) {
		t.Helper()
		if r := graphCall(t, s, token, http.MethodPost, path, body); r.status != http.StatusNoContent || len(r.body) != 0 {
			t.Fatalf("assign: status %d, body %s", r.status, r.body)
		}
	}

	// What a client that echoes the set it read sends: ids, source and
	// sourceId (ignored), no @odata.type, a type in another case, GUIDs in
	// upper case.
	assign(appPath(id)+"/assign", appAssignBody(
		appAssignment(IntentRequired, groupTarget(groupTargetType, strings.ToUpper(groupA)), iosSettings),
		`{"id":"whatever","source":"policySets","sourceId":"x","intent":"available","target":{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget"},"settings":null}`,
		`{"@odata.type":"#microsoft.graph.MOBILEAPPASSIGNMENT","intent":"uninstall","target":{"@odata.type":"`+exclusionTargetType+`","groupId":"`+groupB+`"}}`,
		appAssignment(IntentRequired, `{"@odata.type":"`+allDevicesTargetType+`","deviceAndAppManagementAssignmentFilterId":"`+strings.ToUpper(filterF)+`","deviceAndAppManagementAssignmentFilterType":"include"}`,
			`{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","vpnConfigurationId":"`+strings.ToUpper(filterF)+`"}`),
	))
	got, ok := s.AppAssignments(id)
	if !ok || len(got) != 4 {
		t.Fatalf("after assign: %+v", got)
	}
	want := []AppAssignment{
		{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: groupA, FilterType: "none"},
			Settings: &IOSLobAppAssignmentSettings{UninstallOnDeviceRemoval: ptrTo(false), PreventManagedAppBackup: ptrTo(true)}},
		{Intent: IntentAvailable, Target: Target{ODataType: allLicensedUsersTargetType, FilterType: "none"}},
		{Intent: IntentUninstall, Target: Target{ODataType: exclusionTargetType, GroupID: groupB, FilterType: "none"}},
		{Intent: IntentRequired, Target: Target{ODataType: allDevicesTargetType, FilterID: filterF, FilterType: "include"},
			Settings: &IOSLobAppAssignmentSettings{VPNConfigurationID: ptrTo(filterF)}},
	}
	firstIDs := map[string]bool{}
	for i := range got {
		if !IsGUID(got[i].ID) || firstIDs[got[i].ID] {
			t.Errorf("entry %d: id %q is not a new GUID", i, got[i].ID)
		}
		firstIDs[got[i].ID] = true
		got[i].ID = ""
	}
	if show(got) != show(want) {
		t.Fatalf("held %s, want %s", show(got), show(want))
	}

	// The read: every property of a mobileAppAssignment, source direct.
	page := getPage(t, s, token, appPath(id)+"/assignments")
	if len(page.Value) != 4 || !strings.HasSuffix(page.Context, "/beta/$metadata#deviceAppManagement/mobileApps('"+id+"')/assignments") {
		t.Fatalf("page: %+v", page)
	}
	for i, item := range page.Value {
		if keysOf(item) != "@odata.type,id,intent,settings,source,sourceId,target" || item["source"] != "direct" || item["sourceId"] != nil {
			t.Errorf("item %d: %v", i, item)
		}
	}
	if page.Value[1]["settings"] != nil || page.Value[0]["settings"].(map[string]any)["@odata.type"] != iosLobAppAssignmentSettingsODataType {
		t.Errorf("settings: %v, %v", page.Value[0]["settings"], page.Value[1]["settings"])
	}
	if app := decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id), "")); app["isAssigned"] != true {
		t.Errorf("isAssigned = %v after an assign", app["isAssigned"])
	}

	// A second assign replaces everything, with new ids; the qualified action name works too.
	assign(appPath(strings.ToUpper(id))+"/microsoft.graph.assign", appAssignBody(appAssignment(IntentRequired, groupTarget(groupTargetType, groupA), "null")))
	got, _ = s.AppAssignments(id)
	if len(got) != 1 || firstIDs[got[0].ID] || got[0].Settings != nil || got[0].Target.GroupID != groupA {
		t.Fatalf("after the second assign: %s", show(got))
	}
	assign(appPath(id)+"/assign", appAssignBody())
	if got, _ := s.AppAssignments(id); len(got) != 0 {
		t.Fatalf("after clearing: %s", show(got))
	}
	if page := getPage(t, s, token, appPath(id)+"/assignments"); page.Value == nil || len(page.Value) != 0 {
		t.Errorf("an empty set must read as an empty array: %+v", page)
	}
	if app := decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id), "")); app["isAssigned"] != false {
		t.Errorf("isAssigned = %v with no assignments", app["isAssigned"])
	}
}

func TestAppAssignRefusesInvalidBodies(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := publishedApp(t, s)
	seeded := []AppAssignment{{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: groupA}}}
	if err := s.SetAppAssignments(id, seeded); err != nil {
		t.Fatal(err)
	}
	before, _ := s.AppAssignments(id)
	group := groupTarget(groupTargetType, groupA)
	withTarget := func(intent, target string) string { return appAssignBody(appAssignment(intent, target, "null")) }
	withSettings := func(settings string) string { return appAssignBody(appAssignment(IntentRequired, group, settings)) }
	filtered := func(odataType string) string {
		return `{"@odata.type":"` + odataType + `","groupId":"` + groupB + `","deviceAndAppManagementAssignmentFilterId":"` + filterF + `","deviceAndAppManagementAssignmentFilterType":"exclude"}`
	}
	allDevices := `{"@odata.type":"` + allDevicesTargetType + `"}`

	for _, tc := range []struct {
		name, body, code, message string
	}{
		{"empty", ` `, "BadRequest", "Empty Payload"},
		{"not JSON", `{"mobileAppAssignments":`, "BadRequest", "Invalid JSON"},
		{"mis-cased parameter", `{"MobileAppAssignments":[]}`, "BadRequest", "'MobileAppAssignments' in the request payload is not a valid parameter"},
		{"the configuration's parameter", `{"iOSLobAppProvisioningConfigAssignments":[]}`, "BadRequest", "not a valid parameter"},
		{"missing parameter", `{}`, "BadRequest", "'mobileAppAssignments' of the operation 'assign' is missing"},
		{"null parameter", `{"mobileAppAssignments":null}`, "BadRequest", "must be a JSON array"},
		{"an item is not an object", `{"mobileAppAssignments":["` + groupA + `"]}`, "BadRequest", "must be a JSON object"},
		{"another entity type", appAssignBody(`{"@odata.type":"#microsoft.graph.iosLobAppProvisioningConfigurationAssignment","intent":"required","target":` + group + `}`), "BadRequest", "expected '#microsoft.graph.mobileAppAssignment'"},
		{"unknown property", appAssignBody(`{"intent":"required","target":` + group + `,"installTimeSettings":null}`), "BadRequest", "'installTimeSettings' does not exist on type 'microsoft.graph.mobileAppAssignment'"},
		{"no intent", appAssignBody(`{"target":` + group + `}`), "BadRequest", "'intent' is required"},
		{"null intent", appAssignBody(`{"intent":null,"target":` + group + `}`), "BadRequest", "installIntent[Nullable=False]"},
		{"mis-cased intent", withTarget("Required", group), "BadRequest", "'microsoft.graph.installIntent'"},
		{"numeric intent", appAssignBody(`{"intent":1,"target":` + group + `}`), "BadRequest", "installIntent"},
		{"source not a member", appAssignBody(`{"intent":"required","source":"portal","target":` + group + `}`), "BadRequest", "deviceAndAppManagementAssignmentSource"},
		{"sourceId not a string", appAssignBody(`{"intent":"required","sourceId":7,"target":` + group + `}`), "BadRequest", "'sourceId' must be a string"},
		{"id not a string", appAssignBody(`{"id":7,"intent":"required","target":` + group + `}`), "BadRequest", "'id' must be a string"},
		{"no target", appAssignBody(`{"intent":"required","settings":null}`), "BadRequest", "'target' is required"},
		{"unknown target type", withTarget(IntentRequired, `{"@odata.type":"#microsoft.graph.allUsersAssignmentTarget"}`), "BadRequest", "could not be resolved"},
		{"groupId on all devices", withTarget(IntentRequired, `{"@odata.type":"`+allDevicesTargetType+`","groupId":"`+groupA+`"}`), "BadRequest", "'groupId' does not exist"},
		{"bad groupId", withTarget(IntentRequired, groupTarget(groupTargetType, "sales")), "BadRequest", "'sales' is not a valid GUID"},
		{"filter id without type", withTarget(IntentRequired, `{"@odata.type":"`+allDevicesTargetType+`","deviceAndAppManagementAssignmentFilterId":"`+filterF+`"}`), "BadRequest", "requires a filter type"},
		{"settings without a type", withSettings(`{"isRemovable":false}`), "ModelValidationFailure", "Cannot create an abstract class."},
		{"abstract settings", withSettings(`{"@odata.type":"#microsoft.graph.mobileAppAssignmentSettings"}`), "ModelValidationFailure", "abstract"},
		{"another app's settings", withSettings(`{"@odata.type":"#microsoft.graph.win32LobAppAssignmentSettings"}`), "BadRequest", "win32LobAppAssignmentSettings"},
		{"settings not an object", withSettings(`true`), "BadRequest", "must be a JSON object"},
		{"unknown settings property", withSettings(`{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","useDeviceLicensing":true}`), "BadRequest", "'useDeviceLicensing' does not exist on type 'microsoft.graph.iosLobAppAssignmentSettings'"},
		{"settings boolean as a string", withSettings(`{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","isRemovable":"false"}`), "BadRequest", "Edm.Boolean"},
		{"vpn id not a GUID", withSettings(`{"@odata.type":"#microsoft.graph.iosLobAppAssignmentSettings","vpnConfigurationId":"vpn"}`), "BadRequest", "'vpn' is not a valid GUID"},
		// Microsoft Learn, "Assign apps to groups with Microsoft Intune".
		{"available to all devices", withTarget(IntentAvailable, allDevices), "BadRequest", "cannot be assigned to all devices"},
		{"available without enrollment to all devices", withTarget(IntentAvailableWithoutEnrollment, allDevices), "BadRequest", "cannot be assigned to all devices"},
		{"a filter on an exclusion", withTarget(IntentRequired, filtered(exclusionTargetType)), "BadRequest", "not applied to exclusion groups"},
		{"a group twice", appAssignBody(appAssignment(IntentRequired, group, "null"), appAssignment(IntentAvailable, groupTarget(groupTargetType, strings.ToUpper(groupA)), "null")), "BadRequest", "same group"},
		{"a group included and excluded", appAssignBody(appAssignment(IntentRequired, group, "null"), appAssignment(IntentRequired, groupTarget(exclusionTargetType, groupA), "null")), "BadRequest", "same group"},
		{"all licensed users twice", appAssignBody(appAssignment(IntentRequired, `{"@odata.type":"`+allLicensedUsersTargetType+`"}`, "null"), appAssignment(IntentAvailable, `{"@odata.type":"`+allLicensedUsersTargetType+`"}`, "null")), "BadRequest", "same group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantGraphError(t, graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", tc.body), http.StatusBadRequest, tc.code, tc.message)
			if got, _ := s.AppAssignments(id); show(got) != show(before) {
				t.Errorf("a refused assign changed the set: %s", show(got))
			}
		})
	}
	// Intune's own checks answer in its envelope, inside Graph's message.
	r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", withTarget(IntentAvailable, allDevices))
	if msg := parseGraphError(t, r).Error.Message; !strings.HasPrefix(msg, `{"_version":3,"Message":"mobileAppAssignments[0]: an app made available`) {
		t.Errorf("not Intune's envelope: %s", msg)
	}
	// A filtered group (not an exclusion) is fine, and so is uninstall to all devices.
	if r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", appAssignBody(appAssignment(IntentRequired, filtered(groupTargetType), "null"), appAssignment(IntentUninstall, allDevices, "null"))); r.status != http.StatusNoContent {
		t.Errorf("a filtered group: %d %s", r.status, r.body)
	}
	if r := graphCallTyped(t, s, token, http.MethodPost, appPath(id)+"/assign", "text/plain", appAssignBody()); r.status != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: status %d, want 415", r.status)
	}
	if r := graphCall(t, s, token, http.MethodPut, appPath(id)+"/assign", appAssignBody()); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT assign: status %d, want 405", r.status)
	}
}

// Only a published app can be assigned (DESIGN.md); an unknown app is 404,
// before or after its body is read.
func TestAppAssignNeedsAPublishedApp(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	created := createApp(t, s, token, testBundleID)
	body := appAssignBody(appAssignment(IntentRequired, groupTarget(groupTargetType, groupA), "null"))
	wantGraphError(t, graphCall(t, s, token, http.MethodPost, appPath(created)+"/assign", body), http.StatusBadRequest, "BadRequest", "publishingState is 'notPublished'")
	if err := s.SetAppAssignments(created, nil); err == nil || !strings.Contains(err.Error(), "notPublished") {
		t.Errorf("SetAppAssignments on an app that is not published: %v", err)
	}

	id := publishedApp(t, s)
	if r := graphCall(t, s, token, http.MethodPatch, appPath(id), `{"@odata.type":"#microsoft.graph.iosLobApp","committedContentVersion":"1"}`); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", body), http.StatusBadRequest, "BadRequest", "publishingState is 'processing'")
	// The reads that see it published (the default: the second), as the provider's $select read does.
	for range 2 {
		graphCall(t, s, token, http.MethodGet, appPath(id)+"?$select=id,publishingState", "")
	}
	if r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", body); r.status != http.StatusNoContent {
		t.Fatalf("assign once published: %d %s", r.status, r.body)
	}

	unknown := "0b0b0b0b-0000-4000-8000-000000000000"
	wantGraphError(t, graphCall(t, s, token, http.MethodPost, appPath(unknown)+"/assign", body), http.StatusNotFound, "ResourceNotFound", "")
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, appPath(unknown)+"/assignments", ""), http.StatusNotFound, "ResourceNotFound", "")
	if err := s.SetAppAssignments(unknown, nil); err == nil {
		t.Error("SetAppAssignments on an unknown app succeeded")
	}

	// Deleting the app deletes its assignments.
	if r := graphCall(t, s, token, http.MethodDelete, appPath(id), ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.status)
	}
	if _, ok := s.AppAssignments(id); ok {
		t.Error("the assignments of a deleted app are still held")
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, appPath(id)+"/assignments", ""), http.StatusNotFound, "ResourceNotFound", "")
}

// The routes through the iosLobApp cast do not exist (msgraph-sdk-powershell issue 2985).
func TestAppAssignmentsHaveNoCastRoute(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := publishedApp(t, s)
	for _, tc := range []struct{ method, path, template string }{
		{http.MethodPost, appPath(id) + "/microsoft.graph.iosLobApp/assign", "~/singleton/navigation/key/cast/action"},
		{http.MethodPost, appPath(id) + "/microsoft.graph.iosLobApp/microsoft.graph.assign", "~/singleton/navigation/key/cast/action"},
		{http.MethodGet, appPath(id) + "/microsoft.graph.iosLobApp/assignments", "~/singleton/navigation/key/cast/navigation"},
		{http.MethodGet, appPath(id) + "/Microsoft.Graph.IosLobApp/Assignments/x", "~/singleton/navigation/key/cast/navigation/key"},
	} {
		wantGraphError(t, graphCall(t, s, token, tc.method, tc.path, appAssignBody()), http.StatusBadRequest, "No method match route template",
			"No OData route exists that match template "+tc.template+" with http verb "+tc.method)
	}
	if got, _ := s.AppAssignments(id); len(got) != 0 {
		t.Errorf("a cast route assigned: %s", show(got))
	}
}

// Reads page as the configuration's collections do, lag behind an assign as
// they do, and are faulted, throttled and logged like every other route.
func TestAppAssignmentReadsPageLagAndFault(t *testing.T) {
	s := startServer(t, Options{PageSize: 2})
	token := requestToken(t, s)
	id := publishedApp(t, s)
	var entries []string
	for i := range 5 {
		entries = append(entries, appAssignment(IntentRequired, groupTarget(groupTargetType, fmt.Sprintf("aaaaaaaa-0000-0000-0000-00000000000%d", i)), "null"))
	}
	if r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", appAssignBody(entries...)); r.status != http.StatusNoContent {
		t.Fatalf("assign: %d %s", r.status, r.body)
	}
	readGroups := func() []string {
		t.Helper()
		var groups []string
		pages := 0
		for next := appPath(id) + "/assignments"; next != ""; pages++ {
			page := getPage(t, s, token, next)
			for _, v := range page.Value {
				groups = append(groups, v["target"].(map[string]any)["groupId"].(string))
			}
			next = page.NextLink
		}
		if want := (len(groups) + 1) / 2; pages != max(want, 1) {
			t.Errorf("%d groups in %d pages of 2", len(groups), pages)
		}
		return groups
	}
	if got := readGroups(); len(got) != 5 || got[4] != "aaaaaaaa-0000-0000-0000-000000000004" {
		t.Fatalf("read %v", got)
	}

	// A lag far longer than the test: reads show the previous set, Graph holds the new one.
	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", ReadLag: time.Hour})
	if r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", appAssignBody(entries[0])); r.status != http.StatusNoContent {
		t.Fatalf("assign: %d", r.status)
	}
	if got := readGroups(); len(got) != 5 {
		t.Errorf("a read during the lag shows %v, want the 5 from before", got)
	}
	if got, _ := s.AppAssignments(id); len(got) != 1 {
		t.Errorf("Graph holds %s, want the write applied", show(got))
	}
	// A portal edit is visible at once.
	if err := s.SetAppAssignments(id, []AppAssignment{{Intent: IntentUninstall, Target: Target{ODataType: allDevicesTargetType}}}); err != nil {
		t.Fatal(err)
	}
	if page := getPage(t, s, token, appPath(id)+"/assignments"); len(page.Value) != 1 || page.Value[0]["intent"] != IntentUninstall {
		t.Errorf("after SetAppAssignments: %+v", page.Value)
	}

	// Faults by path suffix; a 429 leaves the set alone.
	s.InjectFault(Fault{Method: http.MethodPost, PathSuffix: "/assign", Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	r := graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", appAssignBody())
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Errorf("faulted assign: %d %v", r.status, r.header)
	}
	if got, _ := s.AppAssignments(id); len(got) != 1 {
		t.Errorf("a faulted assign changed the set: %s", show(got))
	}
	s.InjectFault(Fault{Method: http.MethodGet, PathSuffix: "/assignments", Status: http.StatusServiceUnavailable})
	if r := graphCall(t, s, token, http.MethodGet, appPath(id)+"/assignments", ""); r.status != http.StatusServiceUnavailable {
		t.Errorf("faulted read: %d", r.status)
	}

	// Writes are counted (and throttled) like the configuration's.
	s.ResetRequests()
	s.SetWriteLimit(&WriteLimit{PerApp: 1, PerTenant: 10, Window: time.Hour})
	statuses := []int{}
	for range 2 {
		statuses = append(statuses, graphCall(t, s, token, http.MethodPost, appPath(id)+"/assign", appAssignBody()).status)
	}
	if statuses[0] != http.StatusNoContent || statuses[1] != http.StatusTooManyRequests {
		t.Errorf("two assigns with a budget of one: %v", statuses)
	}
	if st := Summarize(s.Requests()); st.Writes != 2 || st.Throttled != 1 {
		t.Errorf("request log: %+v", st)
	}
}

// GET {app} takes $select (the declared type's properties, a derived type's
// behind its cast) and $expand=assignments under every read behaviour.
func TestGetAppSelectAndExpand(t *testing.T) {
	for _, reads := range ReadBehaviours {
		t.Run(string(reads), func(t *testing.T) {
			s := startServer(t, Options{PageSize: 2, Reads: reads})
			token := requestToken(t, s)
			id := publishedApp(t, s)
			if err := s.SetAppAssignments(id, []AppAssignment{
				{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: groupA}},
				{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: groupB}},
				{Intent: IntentAvailable, Target: Target{ODataType: allLicensedUsersTargetType}},
			}); err != nil {
				t.Fatal(err)
			}

			got := decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id)+"?$select=id,PublishingState", ""))
			if keysOf(got) != "@odata.context,@odata.type,id,publishingState" ||
				got["@odata.type"] != iosLobAppODataType || got["publishingState"] != PublishingPublished ||
				!strings.HasSuffix(got["@odata.context"].(string), "#deviceAppManagement/mobileApps(id,publishingState)/$entity") {
				t.Errorf("$select=id,publishingState: %v", got)
			}
			got = decodeEntity(t, graphCall(t, s, token, http.MethodGet, appPath(id)+"?$select=microsoft.graph.iosLobApp/bundleId,displayName", ""))
			if got["bundleId"] != testBundleID || got["displayName"] != "Sales" || got["id"] != nil {
				t.Errorf("$select through the cast: %v", got)
			}
			wantGraphError(t, graphCall(t, s, token, http.MethodGet, appPath(id)+"?$select=bundleId", ""), http.StatusBadRequest, "BadRequest",
				"Could not find a property named 'bundleId' on type 'microsoft.graph.mobileApp'")
			wantGraphError(t, graphCall(t, s, token, http.MethodGet, appPath(id)+"?$filter=id eq '1'", ""), http.StatusBadRequest, "BadRequest", "$filter")

			r := graphCall(t, s, token, http.MethodGet, appPath(id)+"?$select=id&$expand=assignments", "")
			if reads == ReadsRefuseExpand {
				wantGraphError(t, r, http.StatusBadRequest, "BadRequest", "'Expand' is not allowed")
				return
			}
			got = decodeEntity(t, r)
			expanded, _ := got["assignments"].([]any)
			next, _ := got["assignments@odata.nextLink"].(string)
			switch reads {
			case ReadsIgnoreExpand:
				if got["assignments"] != nil {
					t.Errorf("ignored $expand answered %v", got)
				}
			case ReadsEmptyExpand:
				if expanded == nil || len(expanded) != 0 || next != "" {
					t.Errorf("empty $expand answered %v", got)
				}
			case ReadsTruncateExpand:
				if len(expanded) != 1 || next != "" {
					t.Errorf("truncated $expand answered %v", got)
				}
			default: // the first page inline, then the collection's next page
				if len(expanded) != 2 || next == "" || len(getPage(t, s, token, next).Value) != 1 {
					t.Errorf("honoured $expand answered %v", got)
				}
			}
		})
	}
}

func TestListAppsSelect(t *testing.T) {
	s := startServer(t, Options{PageSize: 1})
	token := requestToken(t, s)
	publishedApp(t, s)
	publishedApp(t, s)
	page := getPage(t, s, token, mobileAppsPath+"?$filter=isof('microsoft.graph.iosLobApp')&$select=id,displayName")
	if len(page.Value) != 1 || len(page.Value[0]) != 3 || !strings.Contains(page.NextLink, "select") || !strings.Contains(page.NextLink, "filter") {
		t.Fatalf("first page: %+v", page)
	}
	if next := getPage(t, s, token, page.NextLink); len(next.Value) != 1 || len(next.Value[0]) != 3 || next.NextLink != "" {
		t.Errorf("second page: %+v", next)
	}
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, mobileAppsPath+"?$expand=assignments", ""), http.StatusBadRequest, "BadRequest", "deprecated")
	wantGraphError(t, graphCall(t, s, token, http.MethodGet, mobileAppsPath+"?$FILTER=displayName eq 'x'", ""), http.StatusBadRequest, "BadRequest", "$filter")
}

// SetAppAssignments checks what the portal would refuse, and takes types the
// emulator does not know as they are.
func TestSetAppAssignments(t *testing.T) {
	s := startServer(t, Options{})
	token := requestToken(t, s)
	id := publishedApp(t, s)
	group := Target{ODataType: groupTargetType, GroupID: groupA}
	for _, bad := range []AppAssignment{
		{Intent: "sometimes", Target: group},
		{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: "sales"}},
		{Intent: IntentAvailable, Target: Target{ODataType: allDevicesTargetType}},
		{Intent: IntentRequired, Target: Target{ODataType: exclusionTargetType, GroupID: groupA, FilterID: filterF, FilterType: "include"}},
		{Intent: IntentRequired, Target: group, Settings: &IOSLobAppAssignmentSettings{VPNConfigurationID: ptrTo("vpn")}},
	} {
		if err := s.SetAppAssignments(id, []AppAssignment{bad}); err == nil {
			t.Errorf("SetAppAssignments took %s", show(bad))
		}
	}
	if err := s.SetAppAssignments(id, []AppAssignment{{Intent: IntentRequired, Target: group}, {Intent: IntentUninstall, Target: group}}); err == nil {
		t.Error("SetAppAssignments took one group twice")
	}

	seeded := []AppAssignment{
		{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: strings.ToUpper(groupA)}, Settings: &IOSLobAppAssignmentSettings{IsRemovable: ptrTo(false)}},
		{Intent: IntentAvailable, Target: Target{ODataType: "#microsoft.graph.allUsersAssignmentTarget"}},
		{Intent: IntentRequired, Target: Target{ODataType: groupTargetType, GroupID: groupB}, OtherSettings: "#microsoft.graph.iosStoreAppAssignmentSettings"},
	}
	if err := s.SetAppAssignments(id, seeded); err != nil {
		t.Fatal(err)
	}
	if seeded[0].Target.GroupID != strings.ToUpper(groupA) || seeded[0].Target.FilterType != "" {
		t.Error("SetAppAssignments changed its argument")
	}
	got, _ := s.AppAssignments(id)
	if len(got) != 3 || got[0].Target.GroupID != groupA || *got[0].Settings.IsRemovable || got[2].OtherSettings == "" ||
		got[1].Target.ODataType != "#microsoft.graph.allUsersAssignmentTarget" || got[1].Target.FilterType != "none" {
		t.Fatalf("held %s", show(got))
	}
	page := getPage(t, s, token, appPath(id)+"/assignments")
	if show(page.Value[2]["settings"]) != `{"@odata.type":"#microsoft.graph.iosStoreAppAssignmentSettings"}` || page.Value[1]["target"].(map[string]any)["@odata.type"] != "#microsoft.graph.allUsersAssignmentTarget" {
		t.Errorf("types the emulator does not know read back as %v", page.Value)
	}
}
